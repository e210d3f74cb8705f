import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { PlatformEscrow, PlatformState, ServerWishes } from '../platform-port.js';
import { readSnapshot } from './bitlocker-adapter.js';
import { type Decision, decide, isManaged } from './bitlocker-decide.js';
import { BitLockerError } from './bitlocker-errors.js';
import {
  type BitLockerCrashPoint,
  beginEscrow,
  continueEscrow,
  type EscrowSteps,
  protectAndEncrypt,
} from './bitlocker-escrow.js';
import {
  BitLockerJournal,
  type BitLockerJournalEntry,
  type EscrowedProtector,
  EscrowedProtectors,
} from './bitlocker-journal.js';
import type { BitLockerShell } from './bitlocker-shell.js';
import type { BitLockerSnapshot } from './bitlocker-snapshot.js';
import { type WindowsFacts, windowsState } from './bitlocker-status.js';

export interface WindowsPlatformOptions {
  shell: BitLockerShell;
  stateDir: string;
  /** POST disk_encryption_key (the client adds the node key); ServerUnavailableError while unreachable. */
  sendKey: (body: { base64_encrypted: string; client_error: '' } | { client_error: string }) => Promise<void>;
  log: Logger;
  onKeyAcknowledged: () => void;
  /** Work finished in the background (an escrow started from a check-in): re-read and show it. */
  onChange?: () => void;
  now?: () => Date;
  /** After a failure, a new attempt waits this long unless the server's config changes (default 15 min). */
  retryFailedAfterMs?: number;
  /**
   * How often BitLocker is looked at between server answers (default 60 s): a suspended protection or a
   * removed protector shows on the desktop within this time even while the config long-poll is quiet.
   */
  recheckMs?: number;
  /** TEST ONLY: stop at a step boundary, as kill -9 would (bitlocker-escrow.ts). */
  fault?: (point: BitLockerCrashPoint) => void;
}

const DEFAULT_RETRY_FAILED_MS = 15 * 60_000;
const DEFAULT_RECHECK_MS = 60_000;

/**
 * BitLocker behind the platform port. Windows needs nothing typed by the user: the agent creates, escrows
 * and rotates the 48-digit recovery password itself (Windows generates it), and the desktop shows an
 * "action required" notice only for what the user must do (restart to resume protection, remove bootable
 * media, turn on the TPM).
 */
export function createWindowsPlatform(o: WindowsPlatformOptions): PlatformEscrow {
  const now = o.now ?? (() => new Date());
  const journal = new BitLockerJournal(o.stateDir);
  const escrowed = new EscrowedProtectors(o.stateDir);
  const steps: EscrowSteps = {
    shell: o.shell,
    journal,
    escrowed,
    sendKey: (envelope) => o.sendKey({ base64_encrypted: envelope, client_error: '' }),
    onKeyAcknowledged: o.onKeyAcknowledged,
    log: o.log,
    now,
    ...(o.fault ? { fault: o.fault } : {}),
  };
  let facts: WindowsFacts | null = null;
  let wishes: ServerWishes = { config: null, newKeyRequested: false };
  let lastError: WindowsFacts['lastError'] = null;
  let failedAt: { time: number; configVersion: string | null } | null = null;
  let running: Promise<void> | null = null;
  const recheck = o.onChange ? setInterval(o.onChange, o.recheckMs ?? DEFAULT_RECHECK_MS) : null;
  recheck?.unref();

  async function readFacts(): Promise<WindowsFacts> {
    const snapshot = await readSnapshot(o.shell);
    const ours = new Map<string, EscrowedProtector>();
    const open = new Map<string, BitLockerJournalEntry>();
    for (const v of snapshot.volumes.filter(isManaged)) {
      const e = await escrowed.read(v.deviceId);
      if (e) ours.set(v.deviceId, e);
      const j = await journal.read(v.deviceId);
      if (j) open.set(v.deviceId, j);
    }
    facts = { snapshot, escrowed: ours, journal: open, lastError, running: running !== null };
    return facts;
  }

  function decisions(f: WindowsFacts): { volumeId: string; d: Decision }[] {
    return f.snapshot.volumes.map((volume) => ({
      volumeId: volume.deviceId,
      d: decide({
        snapshot: f.snapshot,
        volume,
        escrowed: f.escrowed.get(volume.deviceId) ?? null,
        journal: f.journal.get(volume.deviceId) ?? null,
        server: wishes,
      }),
    }));
  }

  /** A new attempt (not an upload retry) is held back after a failure, unless the config changed. */
  function throttled(): boolean {
    if (!failedAt) return false;
    if (failedAt.configVersion !== (wishes.config?.config_version ?? null)) return false;
    return now().getTime() - failedAt.time < (o.retryFailedAfterMs ?? DEFAULT_RETRY_FAILED_MS);
  }

  /**
   * Work a decision asks for. Uploads of a journaled key only when `uploads` (reconcile(), which the
   * service calls with its own backoff); everything else waits out a failure (throttled()), so a step that
   * keeps failing is not retried at every look.
   */
  function actionable(d: Decision, uploads: boolean): boolean {
    if (d.do === 'nothing') return false;
    if (uploads) return true;
    if (d.do === 'continue' && d.entry.state === 'password_added') return false;
    return !throttled();
  }

  async function act(snapshot: BitLockerSnapshot, deviceId: string, d: Decision): Promise<void> {
    const volume = snapshot.volumes.find((v) => v.deviceId === deviceId);
    const cert = wishes.config?.escrow_certificate;
    if (!volume) return;
    switch (d.do) {
      case 'continue':
        await continueEscrow(steps, d.entry);
        return;
      case 'refuse':
        throw new BitLockerError(d.message, null, d.userCanFix);
      case 'start_encryption':
        await protectAndEncrypt(steps, deviceId, 'encrypt');
        return;
      case 'encrypt':
      case 'replace':
        if (!cert) return; // no server config yet: nothing to encrypt the password to
        o.log.info(
          { drive: volume.driveLetter, do: d.do, ...('reason' in d ? { reason: d.reason } : {}) },
          'BitLocker escrow',
        );
        await beginEscrow(steps, volume, d.do, cert);
        return;
      case 'nothing':
        return;
    }
  }

  async function enforce(uploads: boolean): Promise<void> {
    const f = await readFacts();
    for (const { volumeId, d } of decisions(f)) {
      if (!actionable(d, uploads)) continue;
      try {
        await act(f.snapshot, volumeId, d);
        lastError = null;
        failedAt = null;
      } catch (e) {
        const message = errorMessage(e).slice(0, 4000);
        o.log.error({ volume: volumeId, err: message }, 'BitLocker escrow failed');
        const repeated = lastError?.message === message;
        lastError = { message, userCanFix: e instanceof BitLockerError && e.userCanFix };
        failedAt = { time: now().getTime(), configVersion: wishes.config?.config_version ?? null };
        // Every failure reaches the server (Fleet's client_error), once per distinct message.
        if (!repeated) await o.sendKey({ client_error: message }).catch(() => {});
      }
    }
  }

  /** One run at a time; a caller arriving during a run waits for it and then runs its own. */
  async function run(uploads: boolean): Promise<void> {
    while (running) await running;
    const p = enforce(uploads).finally(() => {
      running = null;
    });
    running = p;
    await p;
  }

  function kick(): void {
    if (running || !facts) return;
    if (!decisions(facts).some(({ d }) => actionable(d, false))) return;
    run(false)
      .catch((e) => o.log.error({ err: errorMessage(e) }, 'BitLocker check failed'))
      .finally(() => o.onChange?.());
  }

  function judged(server: ServerWishes): PlatformState | null {
    if (!facts) return null;
    return windowsState({ ...facts, lastError, running: running !== null }, server);
  }

  return {
    platform: 'win32',
    async state(server) {
      wishes = server;
      await readFacts();
      // What was found is shown first (e.g. "the escrowed password was removed"); then, verification at
      // every check-in: a removed protector or a new request is acted on now, and onChange shows the result.
      const found = judged(server) as PlatformState;
      kick();
      return found;
    },
    cachedState(server) {
      return judged(server);
    },
    async createRecoveryKey() {
      throw new AgentError(
        'unsupported_platform',
        'On Windows the BitLocker recovery password is created and escrowed automatically; there is nothing to type.',
      );
    },
    async onConfig(config: ConfigResponse, server?: ServerWishes) {
      wishes = server ?? { config, newKeyRequested: false };
      await run(false);
    },
    async reconcile() {
      await run(true);
    },
    async close() {
      if (recheck) clearInterval(recheck);
      while (running) await running.catch(() => {});
    },
  };
}
