import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { PassphraseResetResult, ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { errorMessage } from '../../node-lib/error-message.js';
import { type AttemptLimiter, MAX_FAILURES } from './attempt-limiter.js';
import { CryptsetupError, type SlotPbkdf } from './cryptsetup.js';
import { type EscrowContext, guarded } from './escrow-context.js';
import { readEscrowState } from './escrow-state.js';
import { recordEscrowed, upload } from './escrow-upload.js';
import type { JournalEntry } from './journal.js';
import { cooldownError, noFreeSlotError, toAgentError } from './luks-errors.js';
import {
  freeSlots,
  type LuksMetadata,
  ourTokens,
  slotHasToken,
  slotSalt,
  usedSlots,
} from './luks-metadata.js';
import { addVerifiedSlot } from './new-key.js';
import { generateRecoveryKey, wipe } from './recovery-key.js';
import type { ResetEntry, ResetJournal } from './reset-journal.js';
import { removeStaleSlots } from './rotation.js';

/**
 * "Set a new disk passphrase": the person unlocked at boot with the escrowed recovery key (revealed to
 * them in the portal) because they forgot their passphrase. With that key the agent
 *   1. adds the new passphrase in a slot of its own (the user's KDF, argon2id by default),
 *   2. removes the forgotten passphrase's slot, only when the person chose so and exactly one slot can be
 *      it (a slot with no token of any tool that is not ours); never a guess, never the last slot,
 *   3. makes, verifies and escrows a fresh recovery key (the first escrow's steps, journaled the same way),
 *   4. and only once the server holds it removes the used key's slot.
 * Every step is in the reset journal (reset-journal.ts, no secrets) or the escrow journal before the header
 * changes. After a kill -9 at any point the disk opens with the new passphrase or the used recovery key
 * (it goes last), every escrow slot is escrowed or gone (reconcile), and the desktop asks to finish: a
 * second run recognises the slot it made for the same new passphrase and the key already escrowed.
 */

export type ResetRequest = {
  uuid: string;
  /** The recovery key in its exact form (recovery-key.ts normalizeRecoveryKey). */
  recoveryKey: Buffer;
  newPassphrase: Buffer;
  removeOldPassphrase: boolean;
  attempts: AttemptLimiter;
  resets: ResetJournal;
  userSlotPbkdf: SlotPbkdf;
  encryptKey: (key: Uint8Array) => Promise<Buffer>;
  onProgress: (step: ProgressStep) => void;
};

type UsedKey = { slot: number; salt: string };

export async function resetPassphrase(ctx: EscrowContext, r: ResetRequest): Promise<PassphraseResetResult> {
  const { device } = ctx;
  if (r.recoveryKey.equals(r.newPassphrase)) {
    throw new AgentError('invalid_passphrase', 'The new passphrase cannot be the recovery key itself.');
  }
  const before = await r.attempts.status();
  if (before.cooldownUntil) throw cooldownError(before.cooldownUntil);
  let meta = await guarded(ctx, () => ctx.cs.dump(device));
  const earlier = await r.resets.read(r.uuid, (reason) =>
    ctx.log.warn({ device, reason }, 'ignoring an unreadable passphrase-reset journal'),
  );
  const used = usedKey(meta, await ctx.journal.list(r.uuid), earlier);

  r.onProgress('checking_recovery_key');
  await checkRecoveryKey(ctx, r, used.slot, before.attemptsLeft);
  r.onProgress('checking_passphrase');
  const reused = await slotOfNewPassphrase(ctx, r, meta, earlier, used.slot);

  const free = freeSlots(meta);
  const newSlot = reused ?? free[0];
  if (newSlot === undefined || free.length < (reused === null ? 2 : 1)) throw noFreeSlotError();
  const candidates = oldPassphraseSlots(meta, await ctx.journal.list(r.uuid), [
    used.slot,
    newSlot,
    ...(earlier ? [earlier.new_slot] : []),
  ]);
  const removeSlot = r.removeOldPassphrase && candidates.length === 1 ? (candidates[0] as number) : null;
  const oldPassphrase: PassphraseResetResult['oldPassphrase'] =
    candidates.length === 0
      ? 'none'
      : !r.removeOldPassphrase
        ? 'kept'
        : removeSlot === null
          ? 'kept_several'
          : 'removed';

  const now = () => ctx.now().toISOString();
  let entry: ResetEntry = {
    version: 1,
    device_uuid: r.uuid,
    used_slot: used.slot,
    used_salt: used.salt,
    new_slot: newSlot,
    new_salt: reused === null ? null : slotSalt(meta, newSlot),
    remove_slot: removeSlot,
    remove_salt: removeSlot === null ? null : slotSalt(meta, removeSlot),
    state: reused === null ? 'started' : 'passphrase_added',
    created_at: earlier?.created_at ?? now(),
    updated_at: now(),
  };
  await r.resets.write(entry);
  ctx.crash('reset_journaled');

  if (reused === null) {
    r.onProgress('setting_passphrase');
    await guarded(ctx, () =>
      ctx.cs.addKey(device, r.recoveryKey, r.newPassphrase, newSlot, r.userSlotPbkdf, undefined, used.slot),
    );
    ctx.crash('reset_passphrase_added');
    meta = await guarded(ctx, () => ctx.cs.dump(device));
    entry = { ...entry, new_salt: slotSalt(meta, newSlot), state: 'passphrase_added', updated_at: now() };
    await r.resets.write(entry);
    ctx.crash('reset_passphrase_journaled');
    await proveNewPassphrase(ctx, r, newSlot);
    ctx.log.info({ device, slot: newSlot }, 'new passphrase added with the recovery key');
  }

  if (entry.remove_slot !== null && slotSalt(meta, entry.remove_slot) === entry.remove_salt) {
    r.onProgress('removing_old_passphrase');
    const slot = entry.remove_slot;
    // The recovery key authorises it (a key of another slot); the used slot and the new one remain.
    await guarded(ctx, () => ctx.cs.killSlot(device, slot, r.recoveryKey));
    ctx.crash('reset_old_passphrase_removed');
    entry = { ...entry, state: 'old_passphrase_removed', updated_at: now() };
    await r.resets.write(entry);
    ctx.log.info({ device, slot }, 'removed the forgotten passphrase’s slot, as the person chose');
  }

  const rotated = await replaceUsedKey(ctx, r, used);
  if (rotated.outcome === 'escrowed') {
    ctx.crash('reset_used_key_removed');
    await r.resets.remove(r.uuid);
  }
  return { ...rotated, passphraseSlot: newSlot, oldPassphrase };
}

/**
 * Finish a reset after a crash, without secrets: once the used key's slot is gone (or holds another key)
 * the journal has nothing left to do. Otherwise it stays, and the desktop is asked to finish the reset.
 */
export async function reconcileReset(ctx: EscrowContext, resets: ResetJournal, uuid: string): Promise<void> {
  const entry = await resets.read(uuid);
  if (!entry) return;
  const meta = await guarded(ctx, () => ctx.cs.dump(ctx.device));
  if (slotSalt(meta, entry.used_slot) !== entry.used_salt) {
    await resets.remove(uuid);
    ctx.log.info({ device: ctx.device }, 'the passphrase reset had finished: its journal is removed');
  }
}

/** Whether an unfinished reset still waits for the person (its used key is still on the disk). */
export function resetPending(meta: LuksMetadata, entry: ResetEntry | null): boolean {
  return entry !== null && slotSalt(meta, entry.used_slot) === entry.used_salt;
}

/**
 * The escrow slot whose key was revealed: the one an unfinished reset named while it is intact, else our
 * current key. A key not yet escrowed was never revealed, and a disk without our key has nothing to reset.
 */
function usedKey(meta: LuksMetadata, entries: JournalEntry[], earlier: ResetEntry | null): UsedKey {
  if (earlier && resetPending(meta, earlier)) return { slot: earlier.used_slot, salt: earlier.used_salt };
  const { current } = readEscrowState(meta, entries);
  if (!current || current.pendingUpload || current.tokenState !== 'escrowed') {
    throw new AgentError(
      'not_needed',
      'This disk has no escrowed recovery key to set a new passphrase with. Ask your IT team.',
    );
  }
  return { slot: current.slot, salt: current.salt };
}

/** The typed key must open the used slot (one cheap pbkdf2 run); a wrong one counts like a wrong passphrase. */
async function checkRecoveryKey(
  ctx: EscrowContext,
  r: ResetRequest,
  slot: number,
  attemptsLeft: number,
): Promise<void> {
  try {
    await ctx.cs.testPassphrase(ctx.device, r.recoveryKey, slot);
  } catch (e) {
    if (!(e instanceof CryptsetupError && e.kind === 'wrong_passphrase')) throw toAgentError(e, ctx.device);
    const after = await r.attempts.recordFailure();
    if (after.cooldownUntil) throw cooldownError(after.cooldownUntil);
    throw new AgentError('wrong_recovery_key', 'That recovery key does not unlock this disk.', {
      attemptsLeft: after.attemptsLeft,
    });
  }
  if (attemptsLeft < MAX_FAILURES) await r.attempts.reset(); // a right key clears earlier wrong ones
}

/**
 * A new passphrase that already opens a slot is refused (it is the old one, or another key of the disk),
 * except the slot an interrupted reset made for this very passphrase, which is taken as it is. One run of
 * `open --test-passphrase` over all slots: an argon2 derivation per passphrase slot, the price of telling
 * the person their "new" passphrase is the old one.
 */
async function slotOfNewPassphrase(
  ctx: EscrowContext,
  r: ResetRequest,
  meta: LuksMetadata,
  earlier: ResetEntry | null,
  usedSlot: number,
): Promise<number | null> {
  let opened: number;
  try {
    opened = await ctx.cs.testPassphrase(ctx.device, r.newPassphrase);
  } catch (e) {
    if (e instanceof CryptsetupError && e.kind === 'wrong_passphrase') return null;
    throw toAgentError(e, ctx.device);
  }
  const ours = earlier !== null && opened === earlier.new_slot && opened !== usedSlot;
  if (ours && (earlier.new_salt === null || slotSalt(meta, opened) === earlier.new_salt)) return opened;
  throw new AgentError(
    'invalid_passphrase',
    'That passphrase already unlocks this disk. Choose a new one you have not used for it.',
  );
}

/** The new passphrase must open its slot before anything else changes; if not, its slot goes again. */
async function proveNewPassphrase(ctx: EscrowContext, r: ResetRequest, slot: number): Promise<void> {
  try {
    await ctx.cs.testPassphrase(ctx.device, r.newPassphrase, slot);
  } catch (e) {
    await guarded(ctx, () => ctx.cs.killSlot(ctx.device, slot, r.recoveryKey));
    await r.resets.remove(r.uuid);
    throw new AgentError(
      'internal',
      `The new passphrase did not open its slot; nothing was changed. ${errorMessage(e)}`,
    );
  }
}

/**
 * Slots that can hold the forgotten passphrase: used, with no token of any tool (a TPM, FIDO2 or
 * systemd recovery slot has one), not ours (token or journal), and not among `except`.
 */
function oldPassphraseSlots(meta: LuksMetadata, entries: JournalEntry[], except: number[]): number[] {
  const ours = new Set<number>(except);
  for (const t of ourTokens(meta)) if (t.slot !== null) ours.add(t.slot);
  for (const e of entries) ours.add(e.slot); // a journaled slot is ours whatever its state
  return usedSlots(meta).filter((s) => !ours.has(s) && !slotHasToken(meta, s));
}

/**
 * Steps 3 and 4: escrow a fresh key (authorised by the recovery key, tried against the used slot only),
 * then remove the used key's slot with the fresh key. When an earlier run escrowed the fresh key already,
 * only the removal is left; it is authorised by the new passphrase then (a key of another slot).
 */
async function replaceUsedKey(
  ctx: EscrowContext,
  r: ResetRequest,
  used: UsedKey,
): Promise<Omit<PassphraseResetResult, 'passphraseSlot' | 'oldPassphrase'>> {
  const meta = await guarded(ctx, () => ctx.cs.dump(ctx.device));
  const entries = await ctx.journal.list(r.uuid);
  const { current } = readEscrowState(meta, entries);
  if (current && current.slot !== used.slot) {
    const token = ourTokens(meta).find((t) => t.slot === current.slot && t.condition === 'intact');
    if (current.pendingUpload || !token) {
      return { outcome: 'queued', keySlot: current.slot, escrowedAt: null, queuedBecause: 'unreachable' };
    }
    await removeStaleSlots(
      ctx,
      r.uuid,
      { escrow_id: token.token.escrow_id, slot: current.slot },
      r.newPassphrase,
      r.newPassphrase,
    );
    return { outcome: 'escrowed', keySlot: current.slot, escrowedAt: current.escrowedAt };
  }
  const slot = freeSlots(meta)[0];
  if (slot === undefined) throw noFreeSlotError();
  r.onProgress('creating_key');
  const key = generateRecoveryKey();
  try {
    const added = await addVerifiedSlot(ctx, {
      uuid: r.uuid,
      slot,
      slotsBefore: usedSlots(meta),
      passphrase: r.recoveryKey,
      key,
      encryptKey: r.encryptKey,
      attempts: r.attempts,
      hadFailures: false,
      onProgress: r.onProgress,
      unlockSlot: used.slot,
    });
    r.onProgress('uploading');
    const sent = await upload(ctx, added.entry, added.tokenId);
    if (sent.outcome === 'queued') {
      // The used key stays until the server holds the new one; the status asks to finish then.
      return {
        outcome: 'queued',
        keySlot: slot,
        escrowedAt: null,
        ...(sent.retryAt
          ? { queuedBecause: 'slow_down' as const, retryAt: sent.retryAt.toISOString() }
          : { queuedBecause: 'unreachable' as const }),
      };
    }
    // The new passphrase is the key the person knows now: it does not open the used slot, so it goes.
    await removeStaleSlots(ctx, r.uuid, sent.entry, key, r.newPassphrase);
    await recordEscrowed(ctx, sent);
    return { outcome: 'escrowed', keySlot: slot, escrowedAt: sent.escrowedAt };
  } finally {
    wipe(key);
  }
}
