import { useEffect, useRef } from 'react';
import type { Volume } from '../../ipc/desktop-agent/device-status.js';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { escrowApi } from '../api.js';
import { AgentBanner, StateIcon, type Tone, useEscape } from '../components.js';
import { formatDateTime, formatTime } from '../format.js';
import { strings } from '../strings.js';
import { LinkComputer } from './link-computer.js';

const t = strings.device;

/** Everything a user (or the IT person on the phone with them) needs to know about this computer's key. */
export function MyDevice({ state }: { state: UiState }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  useEscape(() => void escrowApi().close());
  const status = state.status;
  const summary = summaryOf(state);
  const agentDown = state.connection.state !== 'connected';

  return (
    <main className="window page" aria-labelledby="title">
      <header className="page-head">
        <h1 id="title" ref={headingRef} tabIndex={-1}>
          {t.title}
          {status ? <span className="subtitle">{status.hostname}</span> : null}
        </h1>
      </header>
      <AgentBanner state={state} />
      <section className={`summary tone-${summary.tone}`} aria-labelledby="todo-title">
        <StateIcon tone={summary.tone} size={32} />
        <div>
          <h2 id="todo-title">{t.todo}</h2>
          <p id="todo-text">{summary.text}</p>
          {summary.button ? (
            <button type="button" className="primary" onClick={summary.button.onClick}>
              {summary.button.label}
            </button>
          ) : null}
        </div>
      </section>

      {status ? (
        <section aria-labelledby="volumes-title">
          <h2 id="volumes-title">{t.volumesTitle}</h2>
          {status.volumes.length === 0 ? <p className="muted">{t.noVolumes}</p> : null}
          {status.volumes.map((v) => (
            <VolumeCard key={v.id} volume={v} state={state} />
          ))}
        </section>
      ) : null}

      <LinkComputer state={state} />

      <section aria-labelledby="conn-title">
        <h2 id="conn-title" className="visually-hidden">
          {t.server}
        </h2>
        <dl className="facts">
          {status ? (
            <>
              <dt>{t.server}</dt>
              <dd>
                {status.server.slowDown
                  ? t.serverSlowDown(formatDateTime(status.server.slowDown.retryAt) ?? '')
                  : t.serverStates[status.server.state]}
                {status.server.url ? <span className="muted"> · {status.server.url}</span> : null}
                {status.server.lastContactAt ? (
                  <span className="muted">
                    {' '}
                    · {t.lastContact(formatDateTime(status.server.lastContactAt) ?? '')}
                  </span>
                ) : null}
              </dd>
              <dt>{t.agentVersion}</dt>
              <dd>{status.agentVersion}</dd>
            </>
          ) : null}
          <dt>{t.appVersion}</dt>
          <dd>{state.app.version}</dd>
        </dl>
      </section>

      {/* Without the agent the banner and "What to do" already say all there is: no third copy. */}
      {agentDown ? null : (
        <section aria-labelledby="help-title">
          <h2 id="help-title">{t.troubleshootingTitle}</h2>
          <ul className="plain-list">
            {troubleshooting(state, summary).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="contact-title">
        <h2 id="contact-title">{t.contactTitle}</h2>
        {status?.organization?.contactUrl ? (
          <button type="button" className="link" onClick={() => void escrowApi().openContact()}>
            {t.contact(status.organization.name)}
          </button>
        ) : null}
        {status?.organization?.contactEmail || status?.organization?.contactPhone ? (
          // Shown as text to read or copy: the one link the page opens is the server's contact URL.
          <dl className="contact-details">
            {status.organization.contactEmail ? (
              <>
                <dt>{t.contactEmail}</dt>
                <dd>{status.organization.contactEmail}</dd>
              </>
            ) : null}
            {status.organization.contactPhone ? (
              <>
                <dt>{t.contactPhone}</dt>
                <dd>{status.organization.contactPhone}</dd>
              </>
            ) : null}
          </dl>
        ) : null}
        {!status?.organization?.contactUrl && !status?.organization?.contactPhone ? (
          <p className="muted">{t.noContact}</p>
        ) : null}
      </section>
    </main>
  );
}

function VolumeCard({ volume, state }: { volume: Volume; state: UiState }) {
  const request = pendingRequest(state, volume);
  const tone = request ? 'warn' : volumeTone(volume);
  return (
    <article className="card" aria-label={volume.label || volume.device}>
      <h3>
        <StateIcon tone={tone} size={18} />
        {volume.label || volume.device}
        <span className="muted small"> {volume.device}</span>
      </h3>
      <dl className="facts">
        <dt>{t.encryption}</dt>
        <dd>{t.encryptionKinds[volume.encryption]}</dd>
        {volume.bitlocker ? <BitLockerFacts facts={volume.bitlocker} /> : null}
        <dt>{t.recoveryKey}</dt>
        <dd>
          {t.escrowStates[volume.escrow.state]}
          {request ? <span> — {request}</span> : null}
          {volume.escrow.message ? <span className="muted"> — {volume.escrow.message}</span> : null}
        </dd>
        <dt>{t.escrowedAt}</dt>
        <dd>{formatDateTime(volume.escrow.escrowedAt) ?? t.unknownTime}</dd>
        {volume.escrow.keySlot !== null ? (
          <>
            <dt>{t.keySlot}</dt>
            <dd>
              {volume.escrow.keySlot}
              <span className="muted small block">{t.keySlotNote}</span>
            </dd>
          </>
        ) : null}
      </dl>
    </article>
  );
}

/** The agent's open request for this volume (and its cool-down), said beside the key's state. */
function pendingRequest(state: UiState, v: Volume): string | null {
  const action = state.status?.action;
  if (action?.kind !== 'luks_passphrase' || action.volumeId !== v.id) return null;
  const until = cooldownUntil(state);
  const reason = t.pendingRequest[action.reason];
  return until ? `${reason}; ${t.cooldownNote(formatTime(until) ?? '')}` : reason;
}

/** A cool-down the core runs, or one the agent still enforces (say, from before the app restarted). */
function cooldownUntil(state: UiState): string | null {
  if (state.passphrase.phase === 'cooldown' && state.passphrase.cooldownUntil) {
    return state.passphrase.cooldownUntil;
  }
  const action = state.status?.action;
  const until = action?.kind === 'luks_passphrase' ? action.cooldownUntil : null;
  return until && Date.parse(until) > Date.now() ? until : null;
}

function volumeTone(v: Volume): Tone {
  if (!v.encrypted || v.escrow.state === 'failed' || v.escrow.state === 'action_required') return 'warn';
  if (v.escrow.state === 'escrowed' || v.escrow.state === 'not_required') return 'ok';
  return 'info';
}

function summaryOf(state: UiState): {
  tone: Tone;
  text: string;
  button?: { label: string; onClick: () => void };
} {
  if (state.connection.state !== 'connected' || !state.status) return { tone: 'warn', text: t.todoAgent };
  const action = state.status.action;
  if (action?.kind === 'luks_passphrase') {
    const until = cooldownUntil(state);
    // No "about a minute" button while the agent refuses passphrases: say when instead.
    if (until) return { tone: 'warn', text: t.todoCooldown(formatTime(until) ?? '') };
    return {
      tone: 'warn',
      text: t.todoLuks,
      button: { label: t.createKey, onClick: () => void openWindow('passphrase') },
    };
  }
  if (action?.kind === 'macos_logout') {
    return {
      tone: 'warn',
      text: t.todoLogout,
      button: { label: t.logOut, onClick: () => void openWindow('logout') },
    };
  }
  if (action?.kind === 'bitlocker') return { tone: 'warn', text: action.message };
  if (action?.kind === 'luks_new_passphrase') {
    return {
      tone: 'warn',
      text: strings.newPassphrase.why,
      button: {
        label: strings.newPassphrase.title,
        onClick: () => void escrowApi().openWindow('new-passphrase'),
      },
    };
  }
  const volumes = state.status.volumes;
  if (volumes.some((v) => v.escrow.state === 'failed'))
    return { tone: 'error', text: t.troubleshooting.failed };
  if (volumes.some((v) => v.escrow.state === 'uploading')) return { tone: 'info', text: t.todoWaiting };
  if (volumes.some((v) => volumeTone(v) === 'warn')) return { tone: 'warn', text: t.todoVolume };
  if (state.status.server.state !== 'connected') return { tone: 'warn', text: t.troubleshooting.server };
  return { tone: 'ok', text: t.todoNone };
}

/** The renderer cannot open windows itself; it asks main, which decides. */
function openWindow(kind: 'passphrase' | 'logout') {
  return escrowApi().openWindow(kind);
}

function troubleshooting(state: UiState, summary: { tone: Tone; text: string }): string[] {
  const candidates: string[] = [];
  const status = state.status;
  if (status && status.server.state !== 'connected') {
    if (status.server.message) candidates.push(status.server.message);
    candidates.push(t.troubleshooting.server);
  }
  if (status?.volumes.some((v) => v.escrow.state === 'failed')) candidates.push(t.troubleshooting.failed);
  // What "What to do" already says is not repeated here.
  const lines = candidates.filter((line) => line !== summary.text);
  // Only an all-clear "What to do" may sit beside "Everything looks fine".
  if (lines.length === 0 && (status?.action || summary.tone === 'warn' || summary.tone === 'error')) {
    lines.push(t.troubleshooting.actionAbove);
  }
  if (lines.length === 0) lines.push(t.troubleshooting.general);
  return lines;
}

/** Windows: the method, how far a conversion is, and whether protection is on (suspended = off). */
function BitLockerFacts({ facts }: { facts: NonNullable<Volume['bitlocker']> }) {
  const converting = facts.conversion !== 'FullyEncrypted' && facts.conversion !== 'FullyDecrypted';
  return (
    <>
      {facts.conversion !== 'FullyDecrypted' ? (
        <>
          <dt>{t.bitlocker.method}</dt>
          <dd>{facts.method}</dd>
        </>
      ) : null}
      {converting ? (
        <>
          <dt>{t.bitlocker.progress}</dt>
          <dd>{t.bitlocker.conversion[facts.conversion](facts.percentEncrypted)}</dd>
        </>
      ) : null}
      <dt>{t.bitlocker.protection}</dt>
      <dd>{t.bitlocker.protectionStates[facts.protection]}</dd>
    </>
  );
}
