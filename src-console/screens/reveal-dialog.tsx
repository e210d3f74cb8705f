import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import { ApiError } from '../api/client.js';
import type { ArchivedKeyMeta, HostDetails, KeyKind } from '../api/types.js';
import { announce } from '../components/announcer.js';
import { Dialog } from '../components/dialog.js';
import { formatDateTime } from '../format.js';
import { keyAsTyped, keyGroups } from '../recovery-key.js';

/** How long a revealed key stays on screen. */
export const REVEAL_SECONDS = 60;

/** A key as shown: the text, how to group it, and whether the host was asked for a new one. */
interface Revealed {
  key: string;
  kind: KeyKind;
  rotationRequested: boolean;
}

/**
 * Reveal a recovery key (the current one, or one archived key): a reason first (required unless the host's
 * team says otherwise; it goes into the activity log with the read), then the key, large and grouped as it
 * is typed, with Copy, for 60 seconds with a visible countdown. "Rotate after reveal" is checked, and
 * cannot be unchecked, when the team requires it. The key lives only in this dialog's state and is dropped
 * when it hides or the dialog closes.
 */
export function RevealDialog({
  host,
  archived,
  onClose,
}: {
  host: HostDetails;
  /** An archived key instead of the current one. */
  archived?: ArchivedKeyMeta | undefined;
  onClose: () => void;
}) {
  const reasonRequired = host.policy.reason_required;
  const rotationForced = !archived && host.policy.rotate_after_reveal;
  const [rotate, setRotate] = useState(rotationForced);
  const [reasonMissing, setReasonMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [hidden, setHidden] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);
  const ids = {
    reason: useId(),
    reasonHint: useId(),
    reasonErr: useId(),
    rotate: useId(),
    rotateHint: useId(),
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const reason = reasonRef.current?.value.trim() ?? '';
    if (reasonRequired && reason === '') {
      setReasonMissing(true);
      reasonRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const why = reason === '' ? {} : { reason };
    try {
      if (archived) {
        const r = await adminApi.revealArchivedKey(host.id, archived.id, reason || undefined);
        const k = r.archived_keys.find((a) => a.id === archived.id);
        if (!k?.key)
          throw new Error('This archived key cannot be opened with the escrow keys the server has.');
        setRevealed({ key: k.key, kind: k.kind, rotationRequested: false });
      } else {
        const r = await adminApi.revealKey(host.id, { ...why, rotate_after: rotationForced || rotate });
        setRevealed({
          key: r.encryption_key.key,
          kind: r.encryption_key.kind,
          rotationRequested: r.rotation_requested,
        });
      }
      setHidden(false);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'reason_required') {
        setReasonMissing(true);
        reasonRef.current?.focus();
      } else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={archived ? `Archived key of ${host.display_name}` : `Recovery key of ${host.display_name}`}
      onClose={onClose}
      wide
    >
      {archived ? (
        <p className="muted small">
          Archived {formatDateTime(archived.archived_at)}
          {archived.key_slot !== null ? `, slot ${archived.key_slot}` : ''}.
        </p>
      ) : null}
      {revealed && !hidden ? (
        <KeyView revealed={revealed} onHide={() => setHidden(true)} onClose={onClose} />
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          {hidden ? (
            <p className="notice tone-info" role="status">
              The key is hidden again. To see it once more, give a reason and reveal it again.
            </p>
          ) : (
            <p>Revealing the key is recorded in the activity log with your name and your reason.</p>
          )}
          <label htmlFor={ids.reason} className="field-label">
            Reason{reasonRequired ? '' : ' (optional)'}
          </label>
          {/* One line, so Enter reveals, as in every other form here. */}
          <input
            ref={reasonRef}
            id={ids.reason}
            type="text"
            autoComplete="off"
            maxLength={500}
            data-autofocus
            required={reasonRequired}
            aria-invalid={reasonMissing}
            aria-describedby={reasonMissing ? `${ids.reasonErr} ${ids.reasonHint}` : ids.reasonHint}
            onInput={() => setReasonMissing(false)}
          />
          <p id={ids.reasonHint} className="hint">
            For example the ticket number and who asked: “INC-4521, Dana locked out after a BIOS update”.
          </p>
          {reasonMissing ? (
            <p id={ids.reasonErr} className="field-error">
              Enter a reason: this host’s policy requires one before a key is shown.
            </p>
          ) : null}
          {archived ? null : (
            <>
              <div className="check-row">
                <input
                  id={ids.rotate}
                  type="checkbox"
                  checked={rotationForced || rotate}
                  disabled={rotationForced}
                  aria-describedby={ids.rotateHint}
                  onChange={(e) => setRotate(e.target.checked)}
                />
                <label htmlFor={ids.rotate}>Rotate the key after it is revealed</label>
              </div>
              <p id={ids.rotateHint} className="hint">
                {rotationForced
                  ? 'Required by this team’s policy: the host makes a new key at its next check-in.'
                  : 'The host makes a new key at its next check-in, so the one shown stops working.'}
              </p>
            </>
          )}
          <div aria-live="assertive" className="live-region">
            {error ? <p className="notice tone-error">{error}</p> : null}
          </div>
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Revealing…' : 'Reveal key'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function KeyView({
  revealed,
  onHide,
  onClose,
}: {
  revealed: Revealed;
  onHide: () => void;
  onClose: () => void;
}) {
  const kind = revealed.kind;
  const groups = keyGroups(revealed.key, kind);
  const [left, setLeft] = useState(REVEAL_SECONDS);
  const [copied, setCopied] = useState<string | null>(null);
  const copyRef = useRef<HTMLButtonElement>(null);
  const hideRef = useRef(onHide);
  hideRef.current = onHide;

  useEffect(() => {
    copyRef.current?.focus();
    announce(`Key shown. It hides in ${REVEAL_SECONDS} seconds.`);
    const until = Date.now() + REVEAL_SECONDS * 1000;
    const tick = window.setInterval(() => {
      const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setLeft(s);
      if (s === 10) announce('The key hides in 10 seconds.');
      if (s === 0) {
        window.clearInterval(tick);
        announce('The key is hidden.');
        hideRef.current();
      }
    }, 250);
    return () => window.clearInterval(tick);
  }, []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(keyAsTyped(revealed.key, kind));
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The browser did not allow copying; select the key and copy it yourself.');
    }
  };

  return (
    <div>
      <figure className="recovery-key-figure">
        <figcaption className="visually-hidden">Recovery key</figcaption>
        <p className={`recovery-key kind-${kind}${groups.length === 1 ? ' ungrouped' : ''}`}>
          {groups.map((g, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: groups are positions in one key; two may be equal.
            <span key={i} className="key-group">
              {g}
              {i < groups.length - 1 ? <span className="key-sep">-</span> : null}
            </span>
          ))}
        </p>
      </figure>
      <p className="countdown" role="timer" aria-live="off">
        Hides in <strong>{left}</strong> s
      </p>
      <progress className="countdown-bar" max={REVEAL_SECONDS} value={left} aria-hidden="true" />
      {revealed.rotationRequested ? (
        <p className="notice tone-info">
          A new key has been requested: the host replaces this one at its next check-in.
        </p>
      ) : null}
      <div aria-live="polite" className="live-region">
        {copied ? <p className="small muted">{copied}</p> : null}
      </div>
      <div className="actions">
        <button type="button" onClick={onHide}>
          Hide now
        </button>
        <button type="button" onClick={onClose}>
          Done
        </button>
        <button ref={copyRef} type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
      </div>
    </div>
  );
}
