import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { AgentBanner, Spinner, StateIcon, useEscape } from '../components.js';
import { formatTime } from '../format.js';
import { strings } from '../strings.js';

const t = strings.newPassphrase;

type Missing = 'key' | 'pass' | 'mismatch' | null;

/**
 * "Set a new disk passphrase" after the person unlocked at start-up with the recovery key. The three fields
 * are uncontrolled, as in the first passphrase dialog: their text is read from the DOM once, at submit,
 * and the fields are emptied in the same tick, so no secret sits in React state or props. Only the length
 * of the new passphrase is kept, for the strength hint.
 */
export function NewPassphraseDialog({ state }: { state: UiState }) {
  const flow = state.newPassphrase;
  const keyRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const doneRef = useRef<HTMLButtonElement>(null);
  const [removeOld, setRemoveOld] = useState(true);
  const [length, setLength] = useState(0);
  const [words, setWords] = useState(0);
  const [capsLock, setCapsLock] = useState(false);
  const [missing, setMissing] = useState<Missing>(null);
  const [sending, setSending] = useState(false);
  const ids = {
    keyHint: useId(),
    passHint: useId(),
    strength: useId(),
    caps: useId(),
    error: useId(),
    removeHint: useId(),
  };

  const connected = state.connection.state === 'connected';
  const action = state.status?.action;
  const interrupted = action?.kind === 'luks_new_passphrase' && action.reason === 'interrupted';
  const success = flow.phase === 'success';
  const busy = !success && (sending || flow.phase === 'submitting');
  const cooldownUntil =
    flow.error?.code === 'cooldown'
      ? (flow.error.until ?? null)
      : action?.kind === 'luks_new_passphrase'
        ? action.cooldownUntil
        : null;

  useEffect(() => {
    if (success) doneRef.current?.focus();
  }, [success]);
  useEffect(() => {
    if (flow.phase !== 'error' || !flow.error || sending) return;
    const code = flow.error.code;
    (code === 'wrong_recovery_key' || code === 'invalid_recovery_key' ? keyRef : passRef).current?.focus();
  }, [flow.phase, flow.error, sending]);

  useEscape(() => void escrowApi().close(), !busy);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const key = keyRef.current;
    const pass = passRef.current;
    const confirm = confirmRef.current;
    if (!key || !pass || !confirm || busy) return;
    const problem: Missing = !key.value.trim()
      ? 'key'
      : !pass.value
        ? 'pass'
        : pass.value !== confirm.value
          ? 'mismatch'
          : null;
    setMissing(problem);
    if (problem) {
      if (problem === 'mismatch') confirm.value = '';
      (problem === 'key' ? key : problem === 'pass' ? pass : confirm).focus();
      return;
    }
    const recoveryKey = key.value;
    const passphrase = pass.value;
    key.value = '';
    pass.value = '';
    confirm.value = '';
    setLength(0);
    setWords(0);
    setSending(true);
    void escrowApi()
      .setNewPassphrase(recoveryKey, passphrase, removeOld)
      .finally(() => setSending(false));
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => setCapsLock(e.getModifierState('CapsLock'));

  if (success && flow.result) {
    const old = t.successOld[flow.result.oldPassphrase];
    return (
      <main className="window dialog" aria-labelledby="title">
        <header className="dialog-head">
          <StateIcon tone="ok" />
          <h1 id="title">{t.successTitle}</h1>
        </header>
        <p>{t.successBody}</p>
        {old ? <p>{old}</p> : null}
        <p className="muted">{flow.result.outcome === 'escrowed' ? t.successEscrowed : t.successQueued}</p>
        <footer className="actions">
          <button ref={doneRef} type="button" className="primary" onClick={() => void escrowApi().close()}>
            {t.done}
          </button>
        </footer>
      </main>
    );
  }

  const errorText = missing
    ? missing === 'key'
      ? t.missingKey
      : missing === 'pass'
        ? t.missingPass
        : t.mismatch
    : cooldownUntil && Date.parse(cooldownUntil) > Date.now()
      ? t.cooldown(formatTime(cooldownUntil) ?? '')
      : flow.phase === 'error' && flow.error
        ? flow.error.code === 'wrong_recovery_key'
          ? t.wrongKey(flow.error.attemptsLeft)
          : flow.error.message
        : null;
  const keyWrong =
    missing === 'key' ||
    flow.error?.code === 'wrong_recovery_key' ||
    flow.error?.code === 'invalid_recovery_key';
  const passWrong = missing === 'pass' || flow.error?.code === 'invalid_passphrase';
  const strength =
    length === 0
      ? null
      : length < 8
        ? t.strength.short
        : length >= 16 || words >= 4
          ? t.strength.strong
          : t.strength.fair;
  const describe = (...parts: (string | false | null)[]) => parts.filter(Boolean).join(' ') || undefined;
  const stepText = flow.phase === 'submitting' && flow.step ? strings.passphrase.steps[flow.step] : null;

  return (
    <main className="window dialog" aria-labelledby="title">
      <header className="dialog-head">
        <StateIcon tone="info" />
        <h1 id="title">{t.title}</h1>
      </header>
      <AgentBanner state={state} />
      <p>{interrupted ? t.interrupted : t.why}</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="recovery-key" className="field-label">
          {t.keyLabel}
        </label>
        <input
          ref={keyRef}
          id="recovery-key"
          name="recovery-key"
          type="text"
          className="mono"
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          // biome-ignore lint/a11y/noAutofocus: the dialog exists to take these fields; the first one gets focus.
          autoFocus
          disabled={busy}
          aria-invalid={keyWrong}
          aria-describedby={describe(ids.keyHint, keyWrong && errorText ? ids.error : null)}
        />
        <p id={ids.keyHint} className="hint">
          {t.keyHint}
        </p>

        <label htmlFor="new-passphrase" className="field-label">
          {t.passLabel}
        </label>
        <input
          ref={passRef}
          id="new-passphrase"
          name="new-passphrase"
          type="password"
          autoComplete="new-password"
          disabled={busy}
          aria-invalid={passWrong}
          aria-describedby={describe(
            ids.passHint,
            strength ? ids.strength : null,
            capsLock ? ids.caps : null,
            passWrong && errorText ? ids.error : null,
          )}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setLength([...v].length);
            setWords(v.trim() === '' ? 0 : v.trim().split(/\s+/).length);
          }}
          onKeyDown={onKey}
          onKeyUp={onKey}
        />
        <p id={ids.passHint} className="hint">
          {t.passHint}
        </p>
        {strength ? (
          <p id={ids.strength} className="hint" aria-live="polite">
            {strength}
          </p>
        ) : null}

        <label htmlFor="confirm-passphrase" className="field-label">
          {t.confirmLabel}
        </label>
        <input
          ref={confirmRef}
          id="confirm-passphrase"
          name="confirm-passphrase"
          type="password"
          autoComplete="new-password"
          disabled={busy}
          aria-invalid={missing === 'mismatch'}
          aria-describedby={describe(capsLock ? ids.caps : null, missing === 'mismatch' ? ids.error : null)}
          onKeyDown={onKey}
          onKeyUp={onKey}
        />
        {capsLock ? (
          <p id={ids.caps} className="caps-warning" role="status">
            {t.capsLock}
          </p>
        ) : null}

        <div className="check-row">
          <input
            id="remove-old"
            type="checkbox"
            checked={removeOld}
            disabled={busy}
            aria-describedby={ids.removeHint}
            onChange={(e) => setRemoveOld(e.currentTarget.checked)}
          />
          <label htmlFor="remove-old">{t.removeOld}</label>
        </div>
        <p id={ids.removeHint} className="hint">
          {t.removeOldHint}
        </p>

        <div aria-live="assertive" className="live-region">
          {errorText ? (
            <p id={ids.error} className="notice tone-error">
              {errorText}
            </p>
          ) : null}
        </div>
        <div aria-live="polite" className="live-region">
          {stepText ? (
            <p className="progress">
              <Spinner />
              {stepText}
            </p>
          ) : null}
        </div>
        <footer className="actions">
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void escrowApi().close()}
          >
            {t.later}
          </button>
          <button type="submit" className="primary" disabled={busy || !connected}>
            {t.submit}
          </button>
        </footer>
      </form>
    </main>
  );
}
