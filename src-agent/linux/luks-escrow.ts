import { randomUUID } from 'node:crypto';
import type { LuksDataRequest } from '../../ipc/agent-server/orbit-api.js';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { EscrowResult, ProgressStep } from '../../ipc/desktop-agent/messages.js';
import type { Logger } from '../../node-lib/logger.js';
import { AttemptLimiter, MAX_FAILURES } from './attempt-limiter.js';
import { type CrashPoint, crashIfRequested } from './crash-point.js';
import { type Cryptsetup, CryptsetupError, type SlotPbkdf } from './cryptsetup.js';
import { DeviceLock } from './device-lock.js';
import { Journal, type JournalEntry } from './journal.js';
import {
  ESCROW_TOKEN_TYPE,
  type EscrowToken,
  freeSlots,
  type LuksMetadata,
  type OurToken,
  ourTokens,
  slotHasToken,
  slotKdfIs,
  slotSalt,
  usedSlots,
} from './luks-metadata.js';
import { generateRecoveryKey, wipe } from './recovery-key.js';

/**
 * The LUKS escrow flow, as orchestration over ports: cryptsetup (the edge module), the journal, the
 * attempt limiter and the device lock (small files in the state directory), the uploader (HTTP, owned by
 * the service) and the CMS encryption. See docs/ARCHITECTURE.md "The LUKS escrow sequence".
 *
 * Invariant: a slot we add is journaled (with its key as a CMS envelope) before the header changes, and
 * stays until the server has the key. Startup reconciliation finishes any attempt a crash interrupted, so
 * after any crash every non-user slot is either escrowed or gone.
 */

/** What the service's uploader sends to the server (it adds orbit_node_key and client_error ''). */
export type LuksUpload = {
  [K in 'escrow_id' | 'key_slot' | 'salt' | 'base64_encrypted']-?: Exclude<LuksDataRequest[K], undefined>;
};

/** Resolves when the server acknowledged (2xx). Throws UploadUnavailableError when it could not be reached. */
export type Uploader = (upload: LuksUpload) => Promise<unknown>;

/** The uploader throws this when the server is unreachable (network, 5xx, timeout): the key is queued. */
export class UploadUnavailableError extends Error {
  constructor(message = 'server unreachable') {
    super(message);
    this.name = 'UploadUnavailableError';
  }
}

export type ProgressCallback = (step: ProgressStep) => void;

export type LuksStatus = {
  device: string;
  uuid: string | null;
  encrypted: boolean;
  luks2: boolean;
  freeSlots: number | null;
  /** The slot holding our current key (escrowed, or saved and waiting for the server). */
  ourSlot: number | null;
  salt: string | null;
  tokenState: 'none' | 'pending' | 'escrowed';
  escrowedAt: string | null;
  /** A key is on the disk and journaled but the server has not acknowledged it yet. */
  pendingUpload: boolean;
  /** No key of ours that the server holds (or will hold): the user must be asked for the passphrase. */
  needsKey: boolean;
  /** Our previous key was removed or replaced on the host (Fleet #28750, #46535). */
  hostChange: 'removed' | 'changed' | null;
  /** Slots of ours that are no longer current; removed on the next successful escrow. */
  staleSlots: number[];
  attemptsLeft: number | null;
  cooldownUntil: string | null;
};

export type ReconcileReport = {
  uploaded: string[];
  queued: string[];
  dropped: string[];
  hostChange: 'removed' | 'changed' | null;
};

export type LuksEscrowDeps = {
  device: string;
  stateDir: string;
  cryptsetup: Cryptsetup;
  uploader: Uploader;
  /** CMS-encrypt the recovery key to the current escrow certificate. */
  encryptKey: (key: Uint8Array) => Promise<Buffer>;
  newSlotPbkdf: SlotPbkdf;
  log: Logger;
  now: () => Date;
  /** TEST ONLY, see crash-point.ts. */
  testCrashAt?: CrashPoint;
};

const MAX_PASSPHRASE_BYTES = 8192;
const MIN_CRYPTSETUP = { major: 2, minor: 4 };

export class LuksEscrow {
  private readonly journal: Journal;
  private readonly lock: DeviceLock;
  private readonly cs: Cryptsetup;
  private versionChecked = false;

  constructor(private readonly deps: LuksEscrowDeps) {
    this.cs = deps.cryptsetup;
    this.journal = new Journal(deps.stateDir, (file, reason) =>
      deps.log.warn({ file, reason }, 'skipping unreadable journal entry'),
    );
    this.lock = new DeviceLock(deps.stateDir);
  }

  async status(): Promise<LuksStatus> {
    const { device } = this.deps;
    const empty: LuksStatus = {
      device,
      uuid: null,
      encrypted: false,
      luks2: false,
      freeSlots: null,
      ourSlot: null,
      salt: null,
      tokenState: 'none',
      escrowedAt: null,
      pendingUpload: false,
      needsKey: false,
      hostChange: null,
      staleSlots: [],
      attemptsLeft: null,
      cooldownUntil: null,
    };
    const identity = await this.guard(() => this.cs.identify(device));
    if (identity?.version !== 2) return { ...empty, encrypted: identity !== null };
    const { uuid } = identity;
    const meta = await this.guard(() => this.cs.dump(device));
    const view = readEscrowState(meta, await this.journal.list(uuid));
    const attempts = await this.attempts(uuid).status();
    return {
      ...empty,
      uuid,
      encrypted: true,
      luks2: true,
      freeSlots: freeSlots(meta).length,
      ourSlot: view.current?.slot ?? null,
      salt: view.current?.salt ?? null,
      tokenState: view.current?.tokenState ?? 'none',
      escrowedAt: view.current?.escrowedAt ?? null,
      pendingUpload: view.current?.pendingUpload ?? false,
      needsKey: view.current === null,
      hostChange: view.current === null ? view.hostChange : null,
      staleSlots: view.stale.map((t) => t.slot as number),
      attemptsLeft: attempts.attemptsLeft,
      cooldownUntil: attempts.cooldownUntil?.toISOString() ?? null,
    };
  }

  /** Add, verify and escrow a recovery key. Refuses with 'not_needed' when a key of ours is current. */
  escrow(passphrase: Buffer, onProgress: ProgressCallback = () => {}): Promise<EscrowResult> {
    return this.addAndEscrow(passphrase, onProgress, 'escrow');
  }

  /**
   * Replace our key: add and escrow a new slot, then remove the old escrow slot(s) of ours. The old keys
   * are not kept anywhere, so their slots are removed with `luksKillSlot` authorised by the NEW key (a
   * key of another slot, as luksKillSlot requires; cheap, since the new slot uses the fast KDF). The old
   * slots go only once the server acknowledged the new key; if the upload is queued they stay (their keys
   * are still the ones the server holds) and are removed by the next successful escrow.
   */
  rotate(passphrase: Buffer, onProgress: ProgressCallback = () => {}): Promise<EscrowResult> {
    return this.addAndEscrow(passphrase, onProgress, 'rotate');
  }

  /**
   * Finish what a crash or a network failure left: upload journaled keys whose slot exists, drop entries
   * whose slot never appeared or was removed, and report a key removed or changed on the host. Safe to
   * call at any time (at start, and whenever an upload retry is due); 'busy' while an escrow runs.
   */
  async reconcile(): Promise<ReconcileReport> {
    const { device } = this.deps;
    const uuid = await this.requireLuks2();
    return this.withLock(uuid, async () => {
      const report: ReconcileReport = { uploaded: [], queued: [], dropped: [], hostChange: null };
      for (const original of await this.journal.list(uuid)) {
        const meta = await this.guard(() => this.cs.dump(device));
        const entry = await this.adoptOrDrop(original, meta);
        if (!entry) {
          report.dropped.push(original.escrow_id);
          continue;
        }
        // A refused upload or a failed header write leaves the entry queued; the others still get their turn.
        const outcome = await this.finishUpload(
          entry,
          findToken(meta, entry.escrow_id)?.tokenId ?? null,
        ).then(
          (r) => r.outcome,
          (e: unknown) => {
            this.deps.log.warn(
              { device, escrowId: entry.escrow_id, err: errorText(e) },
              'escrow entry stays queued',
            );
            return 'queued' as const;
          },
        );
        (outcome === 'escrowed' ? report.uploaded : report.queued).push(entry.escrow_id);
      }
      const view = readEscrowState(
        await this.guard(() => this.cs.dump(device)),
        await this.journal.list(uuid),
      );
      report.hostChange = view.current === null ? view.hostChange : null;
      if (report.hostChange)
        this.deps.log.warn({ device, change: report.hostChange }, 'escrowed key changed on host');
      return report;
    });
  }

  // ---- the flow ----

  private async addAndEscrow(
    passphrase: Buffer,
    onProgress: ProgressCallback,
    mode: 'escrow' | 'rotate',
  ): Promise<EscrowResult> {
    const { device, log } = this.deps;
    try {
      validatePassphrase(passphrase);
      onProgress('checking_passphrase');
      const uuid = await this.requireLuks2();
      return await this.withLock(uuid, async () => {
        const attempts = this.attempts(uuid);
        const before = await attempts.status();
        if (before.cooldownUntil) throw cooldownError(before.cooldownUntil);
        const meta = await this.guard(() => this.cs.dump(device));
        const view = readEscrowState(meta, await this.journal.list(uuid));
        if (mode === 'escrow' && view.current) {
          throw new AgentError('not_needed', 'A recovery key for this disk is already saved for the server.');
        }
        const slot = freeSlots(meta)[0];
        if (slot === undefined) {
          throw new AgentError(
            'no_free_slot',
            'All 32 key slots of this disk are in use; remove an unused key first.',
          );
        }
        onProgress('creating_key');
        const key = generateRecoveryKey();
        try {
          // cryptsetup makes its named pipes while the key is encrypted and journaled, and starts only once
          // the journal entry is on disk.
          const journaled = this.journalNewKey(uuid, slot, usedSlots(meta), key);
          journaled.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
          onProgress('saving_to_disk');
          const entry = await this.addSlot(
            journaled,
            slot,
            passphrase,
            key,
            attempts,
            before.attemptsLeft < MAX_FAILURES,
          );
          log.info({ device, slot, escrowId: entry.escrow_id }, 'escrow slot added');
          onProgress('verifying');
          // Proving that the new slot opens takes ~100 ms (every unlock pays the volume key's digest
          // check), so it runs while the slot is journaled and marked as ours; both finish before anything
          // is sent. cryptsetup's device lock orders the token write and this read.
          const opened = this.opensWithKey(entry, key);
          const { marked, tokenId } = await this.markSlot(entry, key).catch(async (e: unknown) => {
            await opened; // the key stays unwiped until cryptsetup has read it
            throw e;
          });
          await this.verifySlot(marked, passphrase, await opened);
          onProgress('uploading');
          const done = await this.finishUpload(marked, tokenId);
          const hadOurTokens = ourTokens(meta).length > 0;
          if (done.outcome === 'escrowed' && hadOurTokens)
            await this.removeStale(uuid, marked, key, passphrase);
          return { outcome: done.outcome, keySlot: slot, escrowedAt: done.escrowedAt };
        } finally {
          wipe(key);
        }
      });
    } finally {
      wipe(passphrase);
    }
  }

  /** Encrypt the key to the escrow certificate and journal it (fsync) before the header changes. */
  private async journalNewKey(
    uuid: string,
    slot: number,
    slotsBefore: number[],
    key: Buffer,
  ): Promise<JournalEntry> {
    const envelope = await this.deps.encryptKey(key);
    const now = this.deps.now().toISOString();
    const entry: JournalEntry = {
      version: 1,
      escrow_id: randomUUID(),
      device_uuid: uuid,
      slot,
      slots_before: slotsBefore,
      envelope: envelope.toString('base64'),
      state: 'pending',
      salt: null,
      created_at: now,
      updated_at: now,
    };
    await this.journal.write(entry);
    this.crash('journal_written');
    return entry;
  }

  /**
   * luksAddKey checks the passphrase against every slot (the user's slot is whichever one it opens; we
   * never assume slot 0) and adds the new slot in the same run. Checking it here rather than with a
   * separate `open --test-passphrase` first means ONE unlock of the user's slow argon2 slot for the whole
   * escrow: the floor the bench measures against. A wrong passphrase leaves the header untouched.
   */
  private async addSlot(
    journaled: Promise<JournalEntry>,
    slot: number,
    passphrase: Buffer,
    key: Buffer,
    attempts: AttemptLimiter,
    hadFailures: boolean,
  ): Promise<JournalEntry> {
    try {
      await this.cs.addKey(this.deps.device, passphrase, key, slot, this.deps.newSlotPbkdf, journaled);
    } catch (e) {
      const entry = await journaled.catch(() => null);
      if (entry === null) throw e; // the journal write failed, so cryptsetup never ran
      if ((await this.slotIsOurs(entry, key, e)) === false) await this.journal.remove(entry.escrow_id);
      if (e instanceof CryptsetupError && e.kind === 'wrong_passphrase') {
        const after = await attempts.recordFailure();
        if (after.cooldownUntil) throw cooldownError(after.cooldownUntil);
        throw new AgentError('wrong_passphrase', 'That passphrase does not unlock this disk.', {
          attemptsLeft: after.attemptsLeft,
        });
      }
      throw toAgentError(e);
    }
    if (hadFailures) await attempts.reset();
    this.crash('slot_added');
    return journaled;
  }

  /** Record the new slot's salt in the journal and mark the slot as ours with a 'pending' token. */
  private async markSlot(
    entry: JournalEntry,
    key: Buffer,
  ): Promise<{ marked: JournalEntry; tokenId: number }> {
    const meta = await this.guard(() => this.cs.dump(this.deps.device));
    const salt = slotSalt(meta, entry.slot);
    if (salt === null)
      throw new AgentError('internal', `Slot ${entry.slot} is missing right after it was added.`);
    const added = await this.advance(entry, 'slot_added', { salt });
    this.crash('slot_journaled');
    let tokenId: number;
    try {
      tokenId = await this.cs.tokenImport(this.deps.device, tokenFor(added, 'pending'));
    } catch (e) {
      // The header is full or refused the token: take our slot out again (we still hold its key) so no
      // unmarked slot of ours stays behind.
      await this.rollback(added, () => this.cs.removeKeyWithItsKey(this.deps.device, key));
      throw toAgentError(e);
    }
    const marked = await this.advance(added, 'token_marked');
    this.crash('token_marked');
    return { marked, tokenId };
  }

  /** `open --test-passphrase` of the new slot with its key: resolves to the failure, or null when it opens. */
  private opensWithKey(entry: JournalEntry, key: Buffer): Promise<unknown> {
    return this.cs.testPassphrase(this.deps.device, key, entry.slot).then(
      () => null,
      (e: unknown) => e ?? new Error('unknown failure'),
    );
  }

  /** Acts on the new slot's test: a key that does not open its slot is taken out again. */
  private async verifySlot(entry: JournalEntry, passphrase: Buffer, failure: unknown): Promise<void> {
    if (failure !== null) {
      // The new key does not open its slot, so the slot cannot be removed with it: the user's passphrase
      // (a key of another slot) authorises luksKillSlot instead.
      await this.rollback(entry, () => this.cs.killSlot(this.deps.device, entry.slot, passphrase));
      throw new AgentError(
        'internal',
        `The new key did not open its slot; the slot was removed. ${errorText(failure)}`,
      );
    }
    this.crash('verified'); // nothing to journal: reconcile cannot re-verify without the key anyway
  }

  private async rollback(entry: JournalEntry, removeSlot: () => Promise<void>): Promise<void> {
    try {
      await removeSlot();
      const token = findToken(await this.cs.dump(this.deps.device), entry.escrow_id);
      if (token) await this.cs.tokenRemove(this.deps.device, token.tokenId);
      await this.journal.remove(entry.escrow_id);
    } catch (e) {
      // Keep the journal: reconciliation will upload the key, so the slot is still escrowed in the end.
      this.deps.log.error({ slot: entry.slot, err: errorText(e) }, 'could not roll back the new slot');
    }
  }

  /**
   * Send the journaled envelope; on the server's ack mark the token escrowed and clear the journal.
   * Unreachable server → 'queued' (slot and journal stay; never remove a slot because of the network).
   */
  private async finishUpload(
    entry: JournalEntry,
    tokenId: number | null,
  ): Promise<{ outcome: 'escrowed' | 'queued'; escrowedAt: string | null }> {
    const { device, log } = this.deps;
    let current = entry;
    let ourTokenId = tokenId;
    if (current.state !== 'acked') {
      if (ourTokenId === null) {
        const pending = tokenFor(current, 'pending');
        ourTokenId = await this.guard(() => this.cs.tokenImport(device, pending));
      }
      try {
        await this.deps.uploader({
          escrow_id: current.escrow_id,
          key_slot: current.slot,
          salt: current.salt as string,
          base64_encrypted: current.envelope,
        });
      } catch (e) {
        if (e instanceof UploadUnavailableError) {
          log.warn(
            { device, escrowId: current.escrow_id, reason: e.message },
            'server unreachable, key queued',
          );
          return { outcome: 'queued', escrowedAt: null };
        }
        log.error({ device, escrowId: current.escrow_id, err: errorText(e) }, 'server refused the key');
        throw new AgentError(
          'internal',
          'The server did not accept the new key. It stays on this computer and will be sent again.',
        );
      }
      this.crash('uploaded');
      current = await this.advance(current, 'acked');
      this.crash('acked');
    }
    const escrowedAt = this.deps.now().toISOString();
    const escrowed = tokenFor(current, 'escrowed', escrowedAt);
    await this.guard(() => this.cs.tokenImport(device, escrowed, ourTokenId ?? undefined));
    this.crash('token_escrowed');
    await this.journal.remove(current.escrow_id);
    log.info({ device, slot: current.slot, escrowId: current.escrow_id }, 'recovery key escrowed');
    return { outcome: 'escrowed', escrowedAt };
  }

  /**
   * After a failed luksAddKey: did slot N get OUR key? "Slot full" and a wrong passphrase mean cryptsetup
   * wrote nothing of ours, even if the slot is used now (someone else wrote it meanwhile: adopting that
   * slot would mark another tool's key as ours, and a later rotation would remove it). After an unclear
   * failure (a timeout, cryptsetup killed mid-write) we still hold the key, so the slot answers for itself.
   * null = cannot tell; the entry stays 'pending' and reconcile() decides.
   */
  private async slotIsOurs(entry: JournalEntry, key: Buffer, err: unknown): Promise<boolean | null> {
    if (err instanceof CryptsetupError && (err.kind === 'wrong_passphrase' || err.kind === 'slot_in_use')) {
      return false;
    }
    const meta = await this.cs.dump(this.deps.device).catch(() => null);
    if (!meta) return null;
    if (slotSalt(meta, entry.slot) === null) return false;
    return this.cs.testPassphrase(this.deps.device, key, entry.slot).then(
      () => true,
      (e: unknown) => (e instanceof CryptsetupError && e.kind === 'wrong_passphrase' ? false : null),
    );
  }

  /**
   * After a crash, bring an entry to a state finishUpload() can take, or drop it (returns null).
   * A 'pending' entry's slot is adopted only when it is used now, was free before the attempt, no token of
   * any tool names it (systemd-cryptenroll marks its TPM2/FIDO2/recovery slots with one) and its KDF is
   * exactly the one we write. The key itself cannot be checked here (the journal holds only its envelope),
   * so these are what keep another writer's slot from being taken for ours.
   */
  private async adoptOrDrop(entry: JournalEntry, meta: LuksMetadata): Promise<JournalEntry | null> {
    const salt = slotSalt(meta, entry.slot);
    let drop: boolean;
    if (entry.state === 'pending')
      drop =
        salt === null ||
        entry.slots_before.includes(entry.slot) ||
        slotHasToken(meta, entry.slot) ||
        !slotKdfIs(meta, entry.slot, this.deps.newSlotPbkdf);
    else drop = salt === null || salt !== entry.salt;
    if (drop) {
      this.deps.log.info(
        { escrowId: entry.escrow_id, slot: entry.slot, state: entry.state },
        'dropping journal entry',
      );
      await this.journal.remove(entry.escrow_id);
      return null;
    }
    return entry.state === 'pending' ? this.advance(entry, 'slot_added', { salt }) : entry;
  }

  /**
   * After a new key is escrowed: remove our other slots that are intact (previous keys, or a pending slot
   * whose journal was lost), authorised by the new key; drop tokens whose slot was removed or changed.
   * Never a slot without our token, never the last slot, and never the slot the user's passphrase
   * opens: someone who unlocked with the old recovery key would otherwise lose the key they know. That
   * check runs the passphrase against our old slot only, which is cheap (fast KDF on our slots).
   */
  private async removeStale(
    uuid: string,
    current: JournalEntry,
    key: Buffer,
    passphrase: Buffer,
  ): Promise<void> {
    const { device, log } = this.deps;
    const meta = await this.guard(() => this.cs.dump(device));
    const entries = await this.journal.list(uuid);
    for (const t of ourTokens(meta)) {
      if (t.token.escrow_id === current.escrow_id) continue;
      try {
        if (t.condition === 'intact' && t.slot !== null) {
          if (t.slot === current.slot) continue;
          if (usedSlots(await this.cs.dump(device)).length < 3) continue; // user's + new + this one
          if (await this.opens(t.slot, passphrase)) {
            log.warn({ device, slot: t.slot }, 'keeping previous escrow slot: the user unlocked with it');
            continue;
          }
          await this.cs.killSlot(device, t.slot, key);
          log.info({ device, slot: t.slot }, 'removed previous escrow slot');
        }
        await this.cs.tokenRemove(device, t.tokenId);
        const stale = entries.find((e) => e.escrow_id === t.token.escrow_id);
        if (stale) await this.journal.remove(stale.escrow_id);
      } catch (e) {
        log.warn({ device, slot: t.slot, err: errorText(e) }, 'could not remove previous escrow slot');
      }
    }
  }

  // ---- helpers ----

  private async opens(slot: number, secret: Buffer): Promise<boolean> {
    try {
      await this.cs.testPassphrase(this.deps.device, secret, slot);
      return true;
    } catch (e) {
      if (e instanceof CryptsetupError && e.kind === 'wrong_passphrase') return false;
      throw e;
    }
  }

  private async advance(
    entry: JournalEntry,
    state: JournalEntry['state'],
    changes: Partial<JournalEntry> = {},
  ): Promise<JournalEntry> {
    const next = { ...entry, ...changes, state, updated_at: this.deps.now().toISOString() };
    await this.journal.write(next);
    return next;
  }

  /** Check cryptsetup ≥ 2.4 and a LUKS2 device; returns its UUID. Each failure is a clear AgentError. */
  private async requireLuks2(): Promise<string> {
    const { device } = this.deps;
    if (!this.versionChecked) {
      const v = await this.guard(() => this.cs.version());
      const tooOld =
        v.major < MIN_CRYPTSETUP.major ||
        (v.major === MIN_CRYPTSETUP.major && v.minor < MIN_CRYPTSETUP.minor);
      if (tooOld)
        throw new AgentError('unsupported_luks', `${v.text} is too old; cryptsetup 2.4 or newer is needed.`);
      this.versionChecked = true; // checked once per agent run: the binary does not change under it
    }
    const identity = await this.guard(() => this.cs.identify(device));
    if (identity?.version === 1) {
      throw new AgentError(
        'unsupported_luks',
        `${device} uses LUKS1; only LUKS2 disks can hold an escrow key.`,
      );
    }
    if (!identity) throw new AgentError('no_luks_device', `${device} is not a LUKS2 encrypted disk.`);
    return identity.uuid;
  }

  private async withLock<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.lock.tryAcquire(uuid);
    if (!release)
      throw new AgentError('busy', 'Another key change is running on this disk. Try again in a moment.');
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  private attempts(uuid: string): AttemptLimiter {
    return new AttemptLimiter(this.deps.stateDir, uuid, this.deps.now);
  }

  /** Run a cryptsetup call, turning its failures into AgentErrors with a clear code. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toAgentError(e, this.deps.device);
    }
  }

  private crash(point: CrashPoint): void {
    crashIfRequested(point, this.deps.testCrashAt);
  }
}

// ---- pure helpers ----

type CurrentKey = {
  slot: number;
  salt: string;
  tokenState: 'pending' | 'escrowed';
  escrowedAt: string | null;
  pendingUpload: boolean;
};

/**
 * Reads the header and journal together. The current key is the newest of ours whose slot is intact and
 * that the server holds or will hold (escrowed, or journaled for upload). Other intact slots of ours are
 * stale; a newest token whose slot is gone or re-keyed is a change made on the host.
 */
function readEscrowState(
  meta: LuksMetadata,
  entries: JournalEntry[],
): { current: CurrentKey | null; stale: OurToken[]; hostChange: 'removed' | 'changed' | null } {
  const tokens = ourTokens(meta);
  const journaled = new Map(entries.map((e) => [e.escrow_id, e]));
  let current: CurrentKey | null = null;
  let currentId: string | null = null;
  for (const t of tokens) {
    if (t.condition !== 'intact' || t.slot === null) continue;
    const entry = journaled.get(t.token.escrow_id);
    if (t.token.state === 'pending' && !entry) continue; // its key is lost: stale
    current = {
      slot: t.slot,
      salt: t.token.salt,
      tokenState: t.token.state,
      escrowedAt: t.token.escrowed_at ?? null,
      pendingUpload: entry !== undefined && entry.state !== 'acked',
    };
    currentId = t.token.escrow_id;
    break;
  }
  if (!current) {
    // Crash between luksAddKey and the token: the journal alone knows the slot.
    const e = entries.findLast(
      (x) => x.state !== 'pending' && x.salt !== null && slotSalt(meta, x.slot) === x.salt,
    );
    if (e) {
      current = {
        slot: e.slot,
        salt: e.salt as string,
        tokenState: 'pending',
        escrowedAt: null,
        pendingUpload: true,
      };
      currentId = e.escrow_id;
    }
  }
  const stale = tokens.filter((t) => t.condition === 'intact' && t.token.escrow_id !== currentId);
  const newest = tokens[0];
  const hostChange = newest && newest.condition !== 'intact' ? newest.condition : null;
  return { current, stale, hostChange };
}

function tokenFor(entry: JournalEntry, state: EscrowToken['state'], escrowedAt?: string): EscrowToken {
  return {
    type: ESCROW_TOKEN_TYPE,
    keyslots: [String(entry.slot)],
    escrow_id: entry.escrow_id,
    state,
    salt: entry.salt as string,
    created_at: entry.created_at,
    ...(escrowedAt ? { escrowed_at: escrowedAt } : {}),
  };
}

function findToken(meta: LuksMetadata, escrowId: string): OurToken | undefined {
  return ourTokens(meta).find((t) => t.token.escrow_id === escrowId);
}

/**
 * Passphrases are bytes (UTF-8 from the desktop): spaces, any Unicode and long ones are fine. A newline
 * cannot be passed on the boot-prompt-style stdin and cannot be typed at the boot prompt either.
 */
function validatePassphrase(p: Buffer): void {
  if (p.length === 0) throw new AgentError('invalid_passphrase', 'The passphrase is empty.');
  if (p.length > MAX_PASSPHRASE_BYTES)
    throw new AgentError('invalid_passphrase', 'The passphrase is too long.');
  if (p.includes(0x0a) || p.includes(0x0d) || p.includes(0x00)) {
    throw new AgentError(
      'invalid_passphrase',
      'The passphrase contains a line break, which a disk passphrase cannot.',
    );
  }
}

function cooldownError(until: Date): AgentError {
  return new AgentError(
    'cooldown',
    `Too many wrong passphrases. Try again after ${until.toISOString().slice(11, 16)} UTC.`,
    { attemptsLeft: 0, until: until.toISOString() },
  );
}

function toAgentError(e: unknown, device = 'the disk'): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof CryptsetupError) {
    switch (e.kind) {
      case 'missing':
        return new AgentError('cryptsetup_missing', 'cryptsetup is not installed (package cryptsetup-bin).');
      case 'no_device':
        return new AgentError('no_luks_device', `${device} does not exist or cannot be read.`);
      case 'not_luks':
        return new AgentError('no_luks_device', `${device} is not a LUKS2 encrypted disk.`);
      case 'slots_full':
      case 'slot_in_use':
        return new AgentError('no_free_slot', 'No free key slot on this disk.');
      case 'concurrent_update':
        return new AgentError('busy', 'Another program is changing this disk’s keys. Try again in a moment.');
      default:
        return new AgentError('internal', e.message);
    }
  }
  return new AgentError('internal', errorText(e));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
