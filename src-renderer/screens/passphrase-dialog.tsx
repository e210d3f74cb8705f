import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { AgentBanner, Spinner, StateIcon, useEscape } from '../components.js';
import { formatTime } from '../format.js';
import { strings } from '../strings.js';

const t = strings.passphrase;

/**
 * The LUKS passphrase dialog. The field is uncontrolled on purpose: the passphrase is read from the DOM
 * once, at submit, and the field is emptied in the same tick, so it never sits in React state, props or
 * a re-render, and nothing here logs it.
 */
export function PassphraseDialog({ state }: { state: UiState }) {
  const flow = state.passphrase;
  const inputRef = useRef<HTMLInputElement>(null);
  const doneRef = useRef<HTMLButtonElement>(null);
  const [hasText, setHasText] = useState(false);
  const [reveal, setReveal] = useState(false);
  const [capsLock, setCapsLock] = useState(false);
  const [sending, setSending] = useState(false);
  const ids = { hint: useId(), caps: useId(), error: useId(), status: useId() };

  const connected = state.connection.state === 'connected';
  const needed = state.status?.action?.kind === 'luks_passphrase';
  const coolingDown = flow.phase === 'cooldown';
  const success = flow.phase === 'success';
  // The success screen can arrive (pushed by the agent) before the submit call itself returns: it is not
  // busy then, or Escape on "Done" would be ignored for that moment.
  const busy = !success && (sending || flow.phase === 'submitting');

  useEffect(() => {
    if (success) doneRef.current?.focus();
  }, [success]);
  // After a wrong passphrase the user types again: put the caret back in the (now empty) field.
  useEffect(() => {
    if (flow.phase === 'error' && flow.error && !sending) inputRef.current?.focus();
  }, [flow.phase, flow.error, sending]);

  // The field and its button are disabled during a cool-down: focus goes to the sentence saying until when,
  // not to the page's body (where a screen reader would say nothing).
  const cooldownRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (coolingDown) cooldownRef.current?.focus();
  }, [coolingDown]);

  useEscape(() => void (success ? escrowApi().close() : escrowApi().remindLater()), !busy);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = inputRef.current;
    if (!input || busy || !input.value) return;
    const passphrase = input.value;
    input.value = '';
    setHasText(false);
    setReveal(false);
    setSending(true);
    void escrowApi()
      .createRecoveryKey(passphrase)
      .finally(() => setSending(false));
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => setCapsLock(e.getModifierState('CapsLock'));

  if (success && flow.result) {
    return (
      <main className="window dialog" aria-labelledby="title">
        <header className="dialog-head">
          <StateIcon tone="ok" />
          <h1 id="title">{t.successTitle}</h1>
        </header>
        <p>
          {flow.result.outcome === 'escrowed'
            ? t.successEscrowed
            : state.status?.server.slowDown
              ? t.successSlowDown(formatTime(state.status.server.slowDown.retryAt) ?? '')
              : t.successQueued}
        </p>
        <p className="muted">{t.successNext}</p>
        <footer className="actions">
          <button ref={doneRef} type="button" className="primary" onClick={() => void escrowApi().close()}>
            {t.done}
          </button>
        </footer>
      </main>
    );
  }

  const errorText =
    flow.phase === 'cooldown'
      ? t.cooldown(formatTime(flow.cooldownUntil) ?? '')
      : flow.phase === 'error' && flow.error
        ? flow.error.code === 'wrong_passphrase'
          ? t.wrong(flow.error.attemptsLeft)
          : flow.error.message
        : null;
  const describedBy = [ids.hint, capsLock ? ids.caps : null, errorText ? ids.error : null]
    .filter(Boolean)
    .join(' ');
  const stepText = flow.phase === 'submitting' ? t.steps[flow.step ?? 'checking_passphrase'] : null;

  return (
    <main className="window dialog" aria-labelledby="title">
      <header className="dialog-head">
        <StateIcon tone="info" />
        <h1 id="title">{t.title}</h1>
      </header>
      <AgentBanner state={state} />
      <p>{t.why}</p>
      {connected && !needed && !coolingDown && flow.phase === 'idle' ? (
        <p className="muted">{t.nothingToDo}</p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <label htmlFor="passphrase" className="field-label">
          {t.fieldLabel}
        </label>
        <div className="field-row">
          <input
            ref={inputRef}
            id="passphrase"
            name="passphrase"
            type={reveal ? 'text' : 'password'}
            autoComplete="off"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            // biome-ignore lint/a11y/noAutofocus: the dialog exists to take this one field; focus belongs here.
            autoFocus
            disabled={busy || coolingDown}
            aria-invalid={flow.phase === 'error' && flow.error?.code === 'wrong_passphrase'}
            aria-describedby={describedBy}
            onInput={(e) => setHasText(e.currentTarget.value.length > 0)}
            onKeyDown={onKey}
            onKeyUp={onKey}
          />
          <button
            type="button"
            className="secondary reveal"
            aria-pressed={reveal}
            aria-label={reveal ? t.hideLabel : t.showLabel}
            aria-controls="passphrase"
            disabled={busy || coolingDown}
            onClick={() => setReveal((r) => !r)}
          >
            {reveal ? t.hide : t.show}
          </button>
        </div>
        <p id={ids.hint} className="hint">
          {t.fieldHint}
        </p>
        {capsLock ? (
          <p id={ids.caps} className="caps-warning" role="status">
            {t.capsLock}
          </p>
        ) : null}
        <div aria-live="assertive" className="live-region">
          {errorText ? (
            <p
              id={ids.error}
              ref={cooldownRef}
              tabIndex={coolingDown ? -1 : undefined}
              className={coolingDown ? 'notice tone-warn' : 'notice tone-error'}
            >
              {errorText}
            </p>
          ) : null}
        </div>
        <div id={ids.status} aria-live="polite" className="live-region">
          {stepText ? (
            <p className="progress">
              <Spinner />
              {stepText}
            </p>
          ) : null}
        </div>
        <p className="muted small">{t.remindNote}</p>
        <footer className="actions">
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void escrowApi().remindLater()}
          >
            {t.notNow}
          </button>
          <button type="submit" className="primary" disabled={!hasText || busy || coolingDown || !connected}>
            {t.submit}
          </button>
        </footer>
      </form>
    </main>
  );
}
