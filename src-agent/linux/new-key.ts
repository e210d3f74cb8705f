import { randomUUID } from 'node:crypto';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { slotIsOurs } from './crash-recovery.js';
import { CryptsetupError } from './cryptsetup.js';
import { type EscrowContext, guarded } from './escrow-context.js';
import { findToken, tokenFor } from './escrow-state.js';
import { advanced, type PendingEntry, type SlotEntry, slotAdded } from './journal.js';
import { cooldownError, toAgentError, wrongPassphraseError } from './luks-errors.js';
import { slotSalt } from './luks-metadata.js';

/**
 * Putting a new recovery key on the disk: journal it, add its slot with the user's passphrase, mark the
 * slot as ours and prove that the key opens it. Everything before the upload; see docs/ARCHITECTURE.md
 * "The LUKS escrow sequence".
 */

export type NewKeyRequest = {
  uuid: string;
  slot: number;
  /** Slots in use before the header changes (recorded for crash recovery). */
  slotsBefore: number[];
  passphrase: Buffer;
  key: Buffer;
  /** CMS-encrypt the key to the current escrow certificate. */
  encryptKey: (key: Uint8Array) => Promise<Buffer>;
  attempts: AttemptLimiter;
  /** Wrong passphrases were counted before this one: a right one clears them. */
  hadFailures: boolean;
  onProgress: (step: ProgressStep) => void;
  /** Try `passphrase` against this slot only (a recovery key authorising the new key: cryptsetup.addKey). */
  unlockSlot?: number;
};

/** The new slot, journaled as 'token_marked', with the id of its 'pending' token. */
export type MarkedSlot = { entry: SlotEntry; tokenId: number };

/** Journal, add, mark and verify the new slot; a key that does not open its slot never leaves this. */
export async function addVerifiedSlot(ctx: EscrowContext, r: NewKeyRequest): Promise<MarkedSlot> {
  // cryptsetup makes its named pipes while the key is encrypted and journaled, and starts only once the
  // journal entry is on disk.
  const journaled = journalNewKey(ctx, r);
  journaled.catch(() => {}); // awaited in addSlot; this only keeps an early failure from counting as unhandled
  const entry = await addSlot(ctx, journaled, r);
  // Only now: the passphrase opened the disk (a wrong one ends the flow at 'checking_passphrase').
  r.onProgress('saving_to_disk');
  // Proving that the new slot opens costs one volume-key digest check (~100 ms on a default header), the
  // largest step after the unlock itself, so it starts first and runs while the slot is journaled and
  // marked as ours; both finish before anything is sent. cryptsetup's device lock orders the token write
  // and this read.
  const opened = opensWithKey(ctx, entry, r.key);
  ctx.log.info({ device: ctx.device, slot: entry.slot, escrowId: entry.escrow_id }, 'escrow slot added');
  r.onProgress('verifying');
  const marked = await markSlot(ctx, entry, r.key).catch(async (e: unknown) => {
    await opened; // the key stays unwiped until cryptsetup has read it
    throw e;
  });
  await verifySlot(ctx, marked.entry, r.passphrase, await opened);
  return marked;
}

/** Encrypt the key to the escrow certificate and journal it (fsync) before the header changes. */
async function journalNewKey(ctx: EscrowContext, r: NewKeyRequest): Promise<PendingEntry> {
  const envelope = await r.encryptKey(r.key);
  const now = ctx.now().toISOString();
  const entry: PendingEntry = {
    version: 1,
    escrow_id: randomUUID(),
    device_uuid: r.uuid,
    slot: r.slot,
    slots_before: r.slotsBefore,
    envelope: envelope.toString('base64'),
    state: 'pending',
    salt: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.journal.write(entry);
  ctx.crash('journal_written');
  return entry;
}

/**
 * luksAddKey checks the passphrase against every slot (the user's slot is whichever one it opens; we
 * never assume slot 0) and adds the new slot in the same run. Checking it here rather than with a
 * separate `open --test-passphrase` first means ONE unlock of the user's slow argon2 slot for the whole
 * escrow: the floor the bench measures against. A wrong passphrase leaves the header untouched.
 */
async function addSlot(
  ctx: EscrowContext,
  journaled: Promise<PendingEntry>,
  r: NewKeyRequest,
): Promise<PendingEntry> {
  try {
    await ctx.cs.addKey(ctx.device, r.passphrase, r.key, r.slot, ctx.newSlotPbkdf, journaled, r.unlockSlot);
  } catch (e) {
    const entry = await journaled.catch(() => null);
    if (entry === null) throw e; // the journal write failed, so cryptsetup never ran
    if ((await slotIsOurs(ctx, entry, r.key, e)) === false) await ctx.journal.remove(entry.escrow_id);
    if (e instanceof CryptsetupError && e.kind === 'wrong_passphrase') {
      const after = await r.attempts.recordFailure();
      if (after.cooldownUntil) throw cooldownError(after.cooldownUntil);
      throw wrongPassphraseError(after.attemptsLeft);
    }
    throw toAgentError(e);
  }
  if (r.hadFailures) await r.attempts.reset();
  ctx.crash('slot_added');
  return journaled;
}

/** Record the new slot's salt in the journal and mark the slot as ours with a 'pending' token. */
async function markSlot(ctx: EscrowContext, entry: PendingEntry, key: Buffer): Promise<MarkedSlot> {
  const meta = await guarded(ctx, () => ctx.cs.dump(ctx.device));
  const salt = slotSalt(meta, entry.slot);
  if (salt === null)
    throw new AgentError('internal', `Slot ${entry.slot} is missing right after it was added.`);
  const added = slotAdded(entry, salt, ctx.now());
  await ctx.journal.write(added);
  ctx.crash('slot_journaled');
  let tokenId: number;
  try {
    tokenId = await ctx.cs.tokenImport(ctx.device, tokenFor(added, 'pending'));
  } catch (e) {
    // The header is full or refused the token: take our slot out again (we still hold its key) so no
    // unmarked slot of ours stays behind.
    await rollback(ctx, added, () => ctx.cs.removeKeyWithItsKey(ctx.device, key));
    throw toAgentError(e);
  }
  const marked = advanced(added, 'token_marked', ctx.now());
  await ctx.journal.write(marked);
  ctx.crash('token_marked');
  return { entry: marked, tokenId };
}

/** `open --test-passphrase` of the new slot with its key: resolves to the failure, or null when it opens. */
function opensWithKey(ctx: EscrowContext, entry: PendingEntry, key: Buffer): Promise<unknown> {
  return ctx.cs.testPassphrase(ctx.device, key, entry.slot).then(
    () => null,
    (e: unknown) => e ?? new Error('unknown failure'),
  );
}

/** Acts on the new slot's test: a key that does not open its slot is taken out again. */
async function verifySlot(
  ctx: EscrowContext,
  entry: SlotEntry,
  passphrase: Buffer,
  failure: unknown,
): Promise<void> {
  if (failure !== null) {
    // The new key does not open its slot, so the slot cannot be removed with it: the user's passphrase
    // (a key of another slot) authorises luksKillSlot instead.
    await rollback(ctx, entry, () => ctx.cs.killSlot(ctx.device, entry.slot, passphrase));
    throw new AgentError(
      'internal',
      `The new key did not open its slot; the slot was removed. ${errorMessage(failure)}`,
    );
  }
  ctx.crash('verified'); // nothing to journal: reconcile cannot re-verify without the key anyway
}

async function rollback(
  ctx: EscrowContext,
  entry: SlotEntry,
  removeSlot: () => Promise<void>,
): Promise<void> {
  try {
    await removeSlot();
    const token = findToken(await ctx.cs.dump(ctx.device), entry.escrow_id);
    if (token) await ctx.cs.tokenRemove(ctx.device, token.tokenId);
    await ctx.journal.remove(entry.escrow_id);
  } catch (e) {
    // Keep the journal: reconciliation will upload the key, so the slot is still escrowed in the end.
    ctx.log.error({ slot: entry.slot, err: errorMessage(e) }, 'could not roll back the new slot');
  }
}
