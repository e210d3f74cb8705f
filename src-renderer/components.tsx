import { type ReactNode, useEffect, useRef } from 'react';
import type { UiState } from '../ipc/window-bridge/contract.js';
import { strings } from './strings.js';

/** Escape means "not now / close" in every window, as in native dialogs. */
export function useEscape(handler: () => void, enabled = true): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        ref.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

export type Tone = 'ok' | 'warn' | 'error' | 'info';

/** The one badge used for states: a coloured glyph plus words, never colour alone. */
export function StateIcon({ tone, size = 40 }: { tone: Tone; size?: number }) {
  const paths: Record<Tone, ReactNode> = {
    ok: <path d="M7 12.5l3.2 3.2L17 9" />,
    warn: (
      <>
        <path d="M12 7.5v5.5" />
        <path d="M12 16.4v.1" />
      </>
    ),
    error: (
      <>
        <path d="M9 9l6 6" />
        <path d="M15 9l-6 6" />
      </>
    ),
    info: (
      <>
        <path d="M12 11v5.5" />
        <path d="M12 7.6v.1" />
      </>
    ),
  };
  return (
    <svg
      className={`state-icon tone-${tone}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
    >
      <circle cx="12" cy="12" r="11" />
      <g fill="none" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
        {paths[tone]}
      </g>
    </svg>
  );
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

/** Shown on every screen while the agent is away, so no button pretends to work. */
export function AgentBanner({ state }: { state: UiState }) {
  if (state.connection.state === 'connected') return null;
  const connecting = state.connection.state === 'connecting';
  return (
    <div className="banner tone-warn" role="status">
      <StateIcon tone="warn" size={20} />
      <div>
        <strong>{connecting ? strings.agentDown.connecting : strings.agentDown.title}</strong>
        {!connecting && <p>{strings.agentDown.body}</p>}
      </div>
    </div>
  );
}
