import type { ReactNode } from 'react';
import type { DiskEncryptionStatus, StatusFilter } from '../api/types.js';
import { STATUS_TONES, statusName } from '../strings.js';

export type Tone = 'ok' | 'warn' | 'error' | 'info' | 'muted';

/** The one badge for states: a coloured shape plus the word, never colour alone. */
export function StatusBadge({ status }: { status: DiskEncryptionStatus | StatusFilter | null }) {
  const tone = STATUS_TONES[status ?? 'unmanaged'];
  return (
    <span className={`badge tone-${tone}`}>
      <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">
        {tone === 'error' ? (
          <path d="M1 1h8v8H1z" />
        ) : tone === 'warn' ? (
          <path d="M5 0.5L9.5 9H0.5z" />
        ) : (
          <circle cx="5" cy="5" r="4.2" />
        )}
      </svg>
      {statusName(status)}
    </span>
  );
}

export function Notice({ tone, children }: { tone: 'error' | 'warn' | 'ok' | 'info'; children: ReactNode }) {
  return <div className={`notice tone-${tone}`}>{children}</div>;
}
