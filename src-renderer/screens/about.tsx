import { useEffect, useRef } from 'react';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { useEscape } from '../components.js';
import { strings } from '../strings.js';

const t = strings.about;

export function AboutScreen({ state }: { state: UiState }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  useEscape(() => void escrowApi().close());
  return (
    <main className="window dialog about" aria-labelledby="title">
      <img className="app-icon" src="./app-icon.png" alt="" width={64} height={64} />
      <h1 id="title">{t.title}</h1>
      <p>{t.tagline}</p>
      <p className="muted">
        {t.version(state.app.version)}
        {state.status ? ` · ${t.agentVersion(state.status.agentVersion)}` : ''}
      </p>
      <p className="muted small">{t.privacy}</p>
      <footer className="actions center">
        <button ref={closeRef} type="button" className="primary" onClick={() => void escrowApi().close()}>
          {strings.close}
        </button>
      </footer>
    </main>
  );
}
