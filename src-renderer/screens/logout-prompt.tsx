import { useEffect, useRef } from 'react';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { AgentBanner, Spinner, StateIcon, useEscape } from '../components.js';
import { formatDateTime } from '../format.js';
import { strings } from '../strings.js';

const t = strings.logout;

/**
 * The macOS log-out prompt. It may appear while the user is typing elsewhere, so focus goes to the heading,
 * never to "Log out now": a stray Enter or Space must not end anyone's session.
 */
export function LogoutPrompt({ state }: { state: UiState }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const flow = state.logout;
  useEscape(() => void escrowApi().deferLogout(), flow?.canDefer === true && flow.phase !== 'logging_out');

  if (!flow) {
    return (
      <main className="window dialog" aria-labelledby="title">
        <header className="dialog-head">
          <StateIcon tone="ok" />
          <h1 id="title" ref={headingRef} tabIndex={-1}>
            {t.title}
          </h1>
        </header>
        <p>{t.nothing}</p>
        <footer className="actions">
          <button type="button" className="primary" onClick={() => void escrowApi().close()}>
            {strings.close}
          </button>
        </footer>
      </main>
    );
  }

  const deadline = formatDateTime(flow.deadline);
  const busy = flow.phase === 'logging_out';
  const automation = flow.error?.code === 'automation_denied';

  return (
    <main className="window dialog" aria-labelledby="title">
      <header className="dialog-head">
        <StateIcon tone={flow.overdue ? 'error' : 'warn'} />
        <h1 id="title" ref={headingRef} tabIndex={-1}>
          {t.title}
        </h1>
      </header>
      <AgentBanner state={state} />
      <p>{t.why}</p>
      {flow.overdue ? (
        <p className="notice tone-error">{t.overdue}</p>
      ) : (
        <p>
          {deadline ? `${t.deadline(deadline)} ` : ''}
          {flow.canDefer ? t.deferrals(flow.deferralsLeft) : t.noDeferrals}
        </p>
      )}
      <p className="muted">{t.save}</p>
      <div aria-live="assertive" className="live-region">
        {flow.error ? (
          <div className="notice tone-error">
            <p>{flow.error.message}</p>
            {automation ? (
              <>
                <h2 className="small-heading">{t.allowTitle}</h2>
                <ol>
                  {t.allowSteps.map((s) => (
                    <li key={s}>{s}</li>
                  ))}
                </ol>
              </>
            ) : null}
            <h2 className="small-heading">{t.manualTitle}</h2>
            <ol>
              {t.manualSteps.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ol>
          </div>
        ) : null}
      </div>
      <div aria-live="polite" className="live-region">
        {busy ? (
          <p className="progress">
            <Spinner />
            {t.loggingOut}
          </p>
        ) : null}
      </div>
      <footer className="actions">
        {flow.canDefer ? (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void escrowApi().deferLogout()}
          >
            {t.later}
          </button>
        ) : null}
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => void escrowApi().logOutNow()}
        >
          {t.logOutNow}
        </button>
      </footer>
    </main>
  );
}
