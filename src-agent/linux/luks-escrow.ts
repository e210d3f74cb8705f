import { join } from 'node:path';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { EscrowResult, PassphraseResetResult, ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { encryptToCertificate } from '../../node-lib/cms/encrypt.js';
import type { Logger } from '../../node-lib/logger.js';
import { AttemptLimiter, MAX_FAILURES } from './attempt-limiter.js';
import { type CrashPoint, crashIfRequested } from './crash-point.js';
import { type ReconcileReport, reconcileJournal } from './crash-recovery.js';
import { Cryptsetup, type CryptsetupOptions, type SlotPbkdf } from './cryptsetup.js';
import { DeviceLock } from './device-lock.js';
import { type EscrowContext, guarded, type Uploader } from './escrow-context.js';
import { type LuksStatus, luks2Status, readEscrowState, statusWithoutLuks2 } from './escrow-state.js';
import { recordEscrowed, upload } from './escrow-upload.js';
import { Journal } from './journal.js';
import {
  busyError,
  cooldownError,
  noFreeSlotError,
  notNeededError,
  validatePassphrase,
} from './luks-errors.js';
import { freeSlots, ourTokens, usedSlots } from './luks-metadata.js';
import { addVerifiedSlot } from './new-key.js';
import { reconcileReset, resetPassphrase, resetPending } from './passphrase-reset.js';
import { generateRecoveryKey, normalizeRecoveryKey, wipe } from './recovery-key.js';
import { ResetJournal } from './reset-journal.js';
import { removeStaleSlots } from './rotation.js';

/**
 * The LUKS escrow of one device: its status, "create recovery key" (a first key, or a rotation when the
 * server asked), and reconciliation. Orchestration over ports: cryptsetup (the edge module), the journal,
 * the attempt limiter and the device lock (small files in the state directory), the uploader (HTTP, owned
 * by the platform) and the CMS encryption. See docs/ARCHITECTURE.md "The LUKS escrow sequence".
 *
 * Invariant: a slot we add is journaled (with its key as a CMS envelope) before the header changes, and
 * stays until the server has the key. Startup reconciliation finishes any attempt a crash interrupted, so
 * after any crash every non-user slot is either escrowed or gone.
 */

/**
 * KDF for the escrow slot. The recovery key has 256 bits of entropy, so a slow KDF adds nothing against
 * guessing; it would only cost ~1 GiB of memory and seconds on every unlock with the key. systemd-cryptenroll
 * uses pbkdf2/sha512/1000 iterations for its recovery-key slot for the same reason. The user's own slot
 * keeps its argon2.
 */
export const DEFAULT_SLOT_PBKDF: SlotPbkdf = { type: 'pbkdf2', hash: 'sha512', iterations: 1000 };

const MIN_CRYPTSETUP = { major: 2, minor: 4 };

/** Where cryptsetup's secret pipes are made: inside the root-only state directory, swept at start-up. */
export function secretPipesDir(stateDir: string): string {
  return join(stateDir, 'secret-pipes');
}

export type LuksEscrowOptions = {
  /** The LUKS2 device (or image file), e.g. from detectRootLuksDevice() or --luks-device. */
  device: string;
  /** Root-owned state directory; the journal, attempt counter and lock files live here (0700). */
  stateDir: string;
  cryptsetup?: CryptsetupOptions;
  newSlotPbkdf?: SlotPbkdf;
  /** KDF of the slot a new passphrase gets ("Set a new disk passphrase"); default argon2id, as cryptsetup's. */
  userSlotPbkdf?: SlotPbkdf;
  uploader: Uploader;
  /** The current escrow certificate (PEM); read at every escrow so a rolled-over certificate is used. */
  escrowCertificate: () => string;
  log: Logger;
  now?: () => Date;
  /** TEST ONLY: SIGKILL the process at this step boundary (crash tests). */
  testCrashAt?: CrashPoint;
};

export type CreateKeyOptions = {
  /**
   * The server asked for a new key. With a current key of ours (escrowed, not waiting for an upload) this
   * replaces it: a new slot is added and escrowed, then the old one removed. Without it, a current key
   * means 'not_needed'.
   */
  rotationRequested?: boolean;
  onProgress?: (step: ProgressStep) => void;
  /**
   * Called once the server's ack is journaled, before our token is marked escrowed and the journal entry
   * removed: the user's answer need not wait for that bookkeeping (a crash during it is finished by
   * reconcile()). The returned promise resolves after it.
   */
  onAcknowledged?: (result: EscrowResult) => void;
};

export class LuksEscrow {
  private readonly ctx: EscrowContext;
  private readonly lock: DeviceLock;
  private readonly resets: ResetJournal;
  private versionChecked = false;

  constructor(private readonly opts: LuksEscrowOptions) {
    const log = opts.log;
    this.ctx = {
      device: opts.device,
      cs: new Cryptsetup({ pipeDir: secretPipesDir(opts.stateDir), ...opts.cryptsetup }),
      journal: new Journal(opts.stateDir, (file, reason) =>
        log.warn({ file, reason }, 'skipping unreadable journal entry'),
      ),
      uploader: opts.uploader,
      newSlotPbkdf: opts.newSlotPbkdf ?? DEFAULT_SLOT_PBKDF,
      log,
      now: opts.now ?? (() => new Date()),
      crash: (point) => crashIfRequested(point, opts.testCrashAt),
    };
    this.lock = new DeviceLock(opts.stateDir);
    this.resets = new ResetJournal(opts.stateDir);
  }

  async status(): Promise<LuksStatus> {
    const { ctx } = this;
    const identity = await guarded(ctx, () => ctx.cs.identify(ctx.device));
    if (identity?.version !== 2) return statusWithoutLuks2(ctx.device, identity !== null);
    const { uuid } = identity;
    const meta = await guarded(ctx, () => ctx.cs.dump(ctx.device));
    const entries = await ctx.journal.list(uuid);
    const status = luks2Status(ctx.device, uuid, meta, entries, await this.attempts(uuid).status());
    return { ...status, resetPending: resetPending(meta, await this.resets.read(uuid)) };
  }

  /**
   * "Set a new disk passphrase" with the recovery key the person typed at boot (passphrase-reset.ts).
   * Both secrets are wiped here, whatever happens.
   */
  async setNewPassphrase(
    typedRecoveryKey: Buffer,
    newPassphrase: Buffer,
    options: { removeOldPassphrase: boolean; onProgress?: (step: ProgressStep) => void },
  ): Promise<PassphraseResetResult> {
    const { ctx } = this;
    const recoveryKey = normalizeRecoveryKey(typedRecoveryKey);
    try {
      if (!recoveryKey) {
        throw new AgentError(
          'invalid_recovery_key',
          'That is not a recovery key: it has 64 letters from c b d e f g h i j k l n r t u v, in groups of 8.',
        );
      }
      validatePassphrase(newPassphrase);
      const uuid = await this.requireLuks2();
      return await this.withLock(uuid, () =>
        resetPassphrase(ctx, {
          uuid,
          recoveryKey,
          newPassphrase,
          removeOldPassphrase: options.removeOldPassphrase,
          attempts: this.attempts(uuid),
          resets: this.resets,
          userSlotPbkdf: this.opts.userSlotPbkdf ?? { type: 'argon2id' },
          encryptKey: (k) => encryptToCertificate(k, this.opts.escrowCertificate()),
          onProgress: options.onProgress ?? (() => {}),
        }),
      );
    } finally {
      wipe(typedRecoveryKey, recoveryKey, newPassphrase);
    }
  }

  /**
   * "Create recovery key": add, verify and escrow a new key with the user's passphrase. Whether it is a
   * first key or a rotation is decided here, under the device lock, from the one header read the flow
   * needs anyway; see CreateKeyOptions.rotationRequested.
   */
  async createRecoveryKey(passphrase: Buffer, options: CreateKeyOptions = {}): Promise<EscrowResult> {
    const { ctx } = this;
    const onProgress = options.onProgress ?? (() => {});
    try {
      validatePassphrase(passphrase);
      const uuid = await this.requireLuks2();
      return await this.withLock(uuid, async () => {
        const attempts = this.attempts(uuid);
        const before = await attempts.status();
        if (before.cooldownUntil) throw cooldownError(before.cooldownUntil);
        const meta = await guarded(ctx, () => ctx.cs.dump(ctx.device));
        const { current } = readEscrowState(meta, await ctx.journal.list(uuid));
        // A key of ours that the server holds (or will hold once a queued upload goes through) is replaced
        // only at the server's request, and never while its upload is still pending.
        if (current && (!options.rotationRequested || current.pendingUpload)) throw notNeededError();
        const slot = freeSlots(meta)[0];
        if (slot === undefined) throw noFreeSlotError();
        // Announced only now, when the passphrase is about to be checked (a key already held, a cool-down
        // or a full header end the flow before that); it lasts while cryptsetup checks it and adds the slot
        // in one run (new-key.ts): the later steps come only once the passphrase has opened the disk.
        onProgress('checking_passphrase');
        const key = generateRecoveryKey();
        try {
          const added = await addVerifiedSlot(ctx, {
            uuid,
            slot,
            slotsBefore: usedSlots(meta),
            passphrase,
            key,
            encryptKey: (k) => encryptToCertificate(k, this.opts.escrowCertificate()),
            attempts,
            hadFailures: before.attemptsLeft < MAX_FAILURES,
            onProgress,
          });
          onProgress('uploading');
          const sent = await upload(ctx, added.entry, added.tokenId);
          if (sent.outcome === 'queued') {
            return {
              outcome: 'queued',
              keySlot: slot,
              escrowedAt: null,
              ...(sent.retryAt
                ? { queuedBecause: 'slow_down', retryAt: sent.retryAt.toISOString() }
                : { queuedBecause: 'unreachable' }),
            };
          }
          // The previous slots go only now that the server holds the new key; this is the last step that
          // needs a secret (the new key authorises their removal, the passphrase is checked against them).
          if (ourTokens(meta).length > 0) await removeStaleSlots(ctx, uuid, sent.entry, key, passphrase);
          const result: EscrowResult = { outcome: 'escrowed', keySlot: slot, escrowedAt: sent.escrowedAt };
          options.onAcknowledged?.(result);
          await recordEscrowed(ctx, sent);
          return result;
        } finally {
          wipe(key);
        }
      });
    } finally {
      wipe(passphrase);
    }
  }

  /**
   * Finish what a crash or a network failure left: upload journaled keys whose slot exists, drop entries
   * whose slot never appeared or was removed, and report a key removed or changed on the host. Safe to
   * call at any time (at start, and whenever an upload retry is due); 'busy' while an escrow runs.
   */
  async reconcile(): Promise<ReconcileReport> {
    const uuid = await this.requireLuks2();
    await this.ctx.journal.prepare(); // at start, so that the first escrow finds the directory made
    return this.withLock(uuid, async () => {
      await this.ctx.journal.sweepInterruptedWrites();
      const report = await reconcileJournal(this.ctx, uuid);
      await reconcileReset(this.ctx, this.resets, uuid);
      return report;
    });
  }

  /** Check cryptsetup ≥ 2.4 and a LUKS2 device; returns its UUID. Each failure is a clear AgentError. */
  private async requireLuks2(): Promise<string> {
    const { ctx } = this;
    if (!this.versionChecked) {
      const v = await guarded(ctx, () => ctx.cs.version());
      const tooOld =
        v.major < MIN_CRYPTSETUP.major ||
        (v.major === MIN_CRYPTSETUP.major && v.minor < MIN_CRYPTSETUP.minor);
      if (tooOld)
        throw new AgentError('unsupported_luks', `${v.text} is too old; cryptsetup 2.4 or newer is needed.`);
      this.versionChecked = true; // checked once per agent run: the binary does not change under it
    }
    const identity = await guarded(ctx, () => ctx.cs.identify(ctx.device));
    if (identity?.version === 1) {
      throw new AgentError(
        'unsupported_luks',
        `${ctx.device} uses LUKS1; only LUKS2 disks can hold an escrow key.`,
      );
    }
    if (!identity) throw new AgentError('no_luks_device', `${ctx.device} is not a LUKS2 encrypted disk.`);
    return identity.uuid;
  }

  private async withLock<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.lock.tryAcquire(uuid);
    if (!release) throw busyError();
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  private attempts(uuid: string): AttemptLimiter {
    return new AttemptLimiter(this.opts.stateDir, uuid, this.ctx.now);
  }
}
