import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { Spinner } from '../components.js';
import { formatTime } from '../format.js';
import { strings } from '../strings.js';

const t = strings.link;

/**
 * My Device's "Work account" section: whom this computer is linked to, or the button that opens the
 * server's link page in the system browser. The person signs in there, never here: no password or token
 * passes through the app. Hidden when the agent or its server cannot link computers.
 */
export function LinkComputer({ state }: { state: UiState }) {
  const account = state.status?.account;
  if (!account || (!account.linkedUser && !account.linkable)) return null;
  const flow = state.link;
  const connected = state.connection.state === 'connected';
  const user = account.linkedUser;
  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">{t.title}</h2>
      {user ? (
        <p>{t.linked(user.name ? `${user.name} (${user.email})` : user.email)}</p>
      ) : (
        <>
          <p>{t.notLinked}</p>
          <button
            type="button"
            className="secondary"
            disabled={!connected || flow.phase === 'opening'}
            onClick={() => void escrowApi().linkComputer()}
          >
            {t.button}
          </button>
          <div aria-live="polite" className="live-region">
            {flow.phase === 'opening' ? (
              <p className="progress">
                <Spinner />
                {t.opening}
              </p>
            ) : flow.phase === 'opened' && flow.expiresAt ? (
              <p className="hint">{t.opened(formatTime(flow.expiresAt) ?? '')}</p>
            ) : flow.phase === 'error' && flow.error ? (
              <p className="notice tone-error">{flow.error.message}</p>
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}
