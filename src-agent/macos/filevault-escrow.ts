import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../node-lib/logger.js';
import { JsonStateFile } from '../durable-file.js';
import type { CommandRunner } from './command-runner.js';
import type { PrefsPaths } from './escrow-buddy.js';
import { readEscrowBuddyFailure, readGenerateNewKey, setGenerateNewKey } from './escrow-buddy.js';
import {
  ensureEscrowBuddyMechanism,
  hasEscrowBuddyMechanism,
  hasPersonalRecoveryKey,
  isEscrowBuddyInstalled,
  isFileVaultOn,
  readFileVaultState,
  readLoginRight,
} from './filevault-state.js';
import type { PrkEvent, PrkUploader, PrkWatcher } from './prk-watcher.js';

/** What the desktop shows; "Log out to finish securing your disk" while `pendingLogout`. */
export interface FileVaultEscrowStatus {
  fileVaultOn: boolean;
  hasPrk: boolean;
  escrowBuddyInstalled: boolean;
  mechanismPresent: boolean;
  generateNewKey: boolean;
  pendingLogout: boolean;
  lastError?: string;
  lastPrkSentAt?: string;
}

/** The two server notifications that ask a Mac for a new, escrowed PRK. */
export interface EscrowNotifications {
  rotate_disk_encryption_key?: boolean;
  run_disk_encryption_escrow?: boolean;
}

export interface FileVaultEscrowDeps {
  runner: CommandRunner;
  stateDir: string;
  bundlePath: string;
  prefs: PrefsPaths;
  watcher: PrkWatcher;
  uploader: PrkUploader;
  log: Logger;
  now: () => number;
  /**
   * After a PRK reached the server, how long a still-raised notification is treated as stale (the server
   * has not verified the new key yet) rather than as "that key did not decrypt, rotate again".
   */
  verifyGraceMs: number;
  /** While armed, how often to look for "a login happened without a new PRK" between notifications. */
  recheckMs: number;
}

/** Survives restarts: whether we armed Escrow Buddy, when, and whether a new PRK has shown up since. */
const PersistedState = z.object({
  armedAt: z.number().optional(),
  newPrkSinceArmedAt: z.number().optional(),
  lastPrkSentAt: z.number().optional(),
});
type PersistedState = z.infer<typeof PersistedState>;

const STATE_FILE = 'filevault-escrow.json';

export interface FileVaultEscrow {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Feed every config response's notifications; resolves when the resulting work is done. */
  onNotifications(n: EscrowNotifications): Promise<void>;
  status(): FileVaultEscrowStatus;
  onStatusChange(cb: (s: FileVaultEscrowStatus) => void): () => void;
}

export function createFileVaultEscrowCore(deps: FileVaultEscrowDeps): FileVaultEscrow {
  const { runner, log } = deps;
  const stateFile = new JsonStateFile(join(deps.stateDir, STATE_FILE), PersistedState);
  const listeners = new Set<(s: FileVaultEscrowStatus) => void>();
  let persisted: PersistedState = {};
  let current: FileVaultEscrowStatus = {
    fileVaultOn: false,
    hasPrk: false,
    escrowBuddyInstalled: false,
    mechanismPresent: false,
    generateNewKey: false,
    pendingLogout: false,
  };
  let serverAsks = false;
  let lastReportedError: string | undefined;
  let unsubscribeWatcher: (() => void) | undefined;
  let recheckTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  // One run at a time: notifications arrive every few seconds and a run shells out several times.
  let queue: Promise<void> = Promise.resolve();

  // A failure while the server is waiting for a key is its business too (client_error); otherwise local only.
  const serialize = (job: () => Promise<void>): Promise<void> => {
    const next = queue
      .then(job)
      .catch((e: Error) => (serverAsks ? reportError(e.message) : setError(e.message)))
      .catch((e: Error) => setError(e.message));
    queue = next;
    return next;
  };

  /** `lastError: undefined` clears the error; other fields left out keep their value. */
  function publish(
    patch: Partial<Omit<FileVaultEscrowStatus, 'lastError'>> & { lastError?: string | undefined },
  ) {
    const { lastError, ...rest } = { lastError: current.lastError, ...patch };
    const next: FileVaultEscrowStatus = { ...current, ...rest };
    if (lastError === undefined) delete next.lastError;
    else next.lastError = lastError;
    next.pendingLogout = persisted.armedAt !== undefined && persisted.newPrkSinceArmedAt === undefined;
    if (persisted.lastPrkSentAt !== undefined)
      next.lastPrkSentAt = new Date(persisted.lastPrkSentAt).toISOString();
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    current = next;
    for (const cb of listeners) cb({ ...current });
  }

  function setError(message: string) {
    log.warn({ err: message }, 'FileVault escrow');
    publish({ lastError: message });
  }

  /** Tell the server why escrow cannot proceed, once per distinct reason (the config poll repeats). */
  async function reportError(message: string) {
    setError(message);
    if (lastReportedError === message) return;
    await deps.uploader({ base64_encrypted: '', client_error: message });
    lastReportedError = message;
  }

  // JsonStateFile writes in call order, so an older snapshot never lands over a newer one.
  function savePersisted(): Promise<void> {
    return stateFile.save(persisted);
  }

  async function refreshFacts() {
    const state = await readFileVaultState(runner);
    const fileVaultOn = isFileVaultOn(state);
    const installed = await isEscrowBuddyInstalled(deps.bundlePath);
    publish({
      fileVaultOn,
      hasPrk: fileVaultOn ? await hasPersonalRecoveryKey(runner) : false,
      escrowBuddyInstalled: installed,
      mechanismPresent: installed ? hasEscrowBuddyMechanism(await readLoginRight(runner)) : false,
      generateNewKey: (await readGenerateNewKey(runner, deps.prefs.prefsPath)) === true,
    });
  }

  /** Install-side checks, then GenerateNewKey=true: the next login makes a new PRK. */
  async function arm() {
    if (!current.fileVaultOn) {
      await reportError('FileVault is off on this Mac; there is no recovery key to rotate');
      return;
    }
    if (!current.escrowBuddyInstalled) {
      await reportError(`Escrow Buddy is not installed (${deps.bundlePath} is missing)`);
      return;
    }
    const repair = await ensureEscrowBuddyMechanism(runner, deps.bundlePath);
    if (repair !== 'present') log.info({ repair }, 'Escrow Buddy mechanism restored in system.login.console');
    await setGenerateNewKey(runner, true, deps.prefs);
    persisted = { ...persisted, armedAt: deps.now() };
    delete persisted.newPrkSinceArmedAt;
    await savePersisted();
    lastReportedError = undefined;
    publish({ mechanismPresent: true, generateNewKey: true, lastError: undefined });
  }

  async function disarm() {
    if (current.generateNewKey) await setGenerateNewKey(runner, false, deps.prefs);
    if (persisted.armedAt !== undefined) {
      delete persisted.armedAt;
      delete persisted.newPrkSinceArmedAt;
      await savePersisted();
    }
    publish({ generateNewKey: false, lastError: undefined });
  }

  /**
   * Escrow Buddy sets GenerateNewKey back to false after every attempt, failed or not. Flag down with no
   * new PRK since we armed it means a login happened and generation failed: its log says why.
   */
  async function checkLoginOutcome() {
    const armedAt = persisted.armedAt;
    if (armedAt === undefined || persisted.newPrkSinceArmedAt !== undefined || current.generateNewKey) return;
    // The PRK file may have landed a moment ago, before its watch event: look before concluding.
    await deps.watcher.checkNow();
    if (persisted.newPrkSinceArmedAt !== undefined) return;
    const reason =
      (await readEscrowBuddyFailure(runner, armedAt)) ??
      'Escrow Buddy reported success but no new FileVaultPRK.dat appeared';
    await reportError(reason);
    const keepError = current.lastError;
    await arm();
    // Re-arming clears the error; the user still needs to know why the last login did not finish the job.
    publish({ lastError: keepError });
  }

  async function reconcile(asks: boolean) {
    await refreshFacts();
    scheduleRecheck();
    if (!asks) {
      if (persisted.armedAt !== undefined || current.generateNewKey) await disarm();
      return;
    }
    // The grace runs from the later of "sent" and "seen": between the two the upload is still in flight and
    // lastPrkSentAt is the previous key's, so a recheck there must not take the stale notification as a no.
    const sentAt = Math.max(persisted.lastPrkSentAt ?? 0, persisted.newPrkSinceArmedAt ?? 0);
    if (sentAt > 0 && deps.now() - sentAt < deps.verifyGraceMs) return;
    if (persisted.armedAt === undefined || persisted.newPrkSinceArmedAt !== undefined) {
      // Not armed yet, or armed and a key was sent but the server still asks after the grace: again.
      await arm();
      return;
    }
    if (!current.generateNewKey) await checkLoginOutcome();
  }

  function scheduleRecheck() {
    clearTimeout(recheckTimer);
    recheckTimer = undefined;
    if (stopped || (persisted.armedAt === undefined && !serverAsks)) return;
    recheckTimer = setTimeout(() => void serialize(() => reconcile(serverAsks)), deps.recheckMs);
    recheckTimer.unref();
  }

  function onPrkEvent(e: PrkEvent) {
    if (e === 'seen' && persisted.armedAt !== undefined && persisted.newPrkSinceArmedAt === undefined) {
      persisted = { ...persisted, newPrkSinceArmedAt: deps.now() };
    }
    if (e === 'sent') persisted = { ...persisted, lastPrkSentAt: deps.now() };
    void savePersisted().catch((err: Error) => setError(err.message));
    publish({});
  }

  return {
    async start() {
      persisted = (await stateFile.load()) ?? {};
      unsubscribeWatcher = deps.watcher.onEvent(onPrkEvent);
      await deps.watcher.start();
      await serialize(refreshFacts);
    },
    async stop() {
      stopped = true;
      clearTimeout(recheckTimer);
      unsubscribeWatcher?.();
      await deps.watcher.stop();
      await queue;
    },
    onNotifications(n) {
      serverAsks = n.rotate_disk_encryption_key === true || n.run_disk_encryption_escrow === true;
      const asks = serverAsks;
      return serialize(() => reconcile(asks));
    },
    status: () => ({ ...current }),
    onStatusChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}
