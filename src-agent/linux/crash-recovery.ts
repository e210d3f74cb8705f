import { errorMessage } from '../../node-lib/error-message.js';
import { CryptsetupError } from './cryptsetup.js';
import { type EscrowContext, guarded } from './escrow-context.js';
import { findToken, readEscrowState } from './escrow-state.js';
import { finishUpload } from './escrow-upload.js';
import { type JournalEntry, type SlotEntry, slotAdded } from './journal.js';
import { type LuksMetadata, slotHasToken, slotKdfIs, slotSalt } from './luks-metadata.js';

/**
 * Finishing what a crash, a failed cryptsetup run or an unreachable server left, and the rules for when a
 * slot is ours. A slot is never taken for ours on a guess: another writer (an admin, systemd-cryptenroll)
 * may have filled the slot we chose, and a rotation would later remove a key we never made.
 */

export type ReconcileReport = {
  uploaded: string[];
  queued: string[];
  dropped: string[];
  hostChange: 'removed' | 'changed' | null;
};

/**
 * Upload journaled keys whose slot exists, drop entries whose slot never appeared or was removed, and
 * report a key removed or changed on the host. The caller holds the device lock.
 */
export async function reconcileJournal(ctx: EscrowContext, uuid: string): Promise<ReconcileReport> {
  const { device, log } = ctx;
  const report: ReconcileReport = { uploaded: [], queued: [], dropped: [], hostChange: null };
  for (const original of await ctx.journal.list(uuid)) {
    const meta = await guarded(ctx, () => ctx.cs.dump(device));
    const entry = await adoptOrDrop(ctx, original, meta);
    if (!entry) {
      report.dropped.push(original.escrow_id);
      continue;
    }
    // A refused upload or a failed header write leaves the entry queued; the others still get their turn.
    const outcome = await finishUpload(ctx, entry, findToken(meta, entry.escrow_id)?.tokenId ?? null).catch(
      (e: unknown) => {
        log.warn({ device, escrowId: entry.escrow_id, err: errorMessage(e) }, 'escrow entry stays queued');
        return 'queued' as const;
      },
    );
    (outcome === 'escrowed' ? report.uploaded : report.queued).push(entry.escrow_id);
  }
  const view = readEscrowState(await guarded(ctx, () => ctx.cs.dump(device)), await ctx.journal.list(uuid));
  report.hostChange = view.current === null ? view.hostChange : null;
  if (report.hostChange) log.warn({ device, change: report.hostChange }, 'escrowed key changed on host');
  return report;
}

/**
 * After a crash, bring an entry to a state finishUpload() can take, or drop it (returns null).
 * A 'pending' entry's slot is adopted only when it is used now, was free before the attempt, no token of
 * any tool names it (systemd-cryptenroll marks its TPM2/FIDO2/recovery slots with one) and its KDF is
 * exactly the one we write. The key itself cannot be checked here (the journal holds only its envelope),
 * so these are what keep another writer's slot from being taken for ours.
 */
async function adoptOrDrop(
  ctx: EscrowContext,
  entry: JournalEntry,
  meta: LuksMetadata,
): Promise<SlotEntry | null> {
  const salt = slotSalt(meta, entry.slot);
  const ours =
    entry.state === 'pending'
      ? !entry.slots_before.includes(entry.slot) &&
        !slotHasToken(meta, entry.slot) &&
        slotKdfIs(meta, entry.slot, ctx.newSlotPbkdf)
      : salt === entry.salt;
  if (salt === null || !ours) {
    ctx.log.info(
      { escrowId: entry.escrow_id, slot: entry.slot, state: entry.state },
      'dropping journal entry',
    );
    await ctx.journal.remove(entry.escrow_id);
    return null;
  }
  if (entry.state !== 'pending') return entry;
  const adopted = slotAdded(entry, salt, ctx.now());
  await ctx.journal.write(adopted);
  return adopted;
}

/**
 * After a failed luksAddKey: did slot N get OUR key? "Slot full" and a wrong passphrase mean cryptsetup
 * wrote nothing of ours, even if the slot is used now (someone else wrote it meanwhile: adopting that
 * slot would mark another tool's key as ours, and a later rotation would remove it). After an unclear
 * failure (a timeout, cryptsetup killed mid-write) we still hold the key, so the slot answers for itself.
 * null = cannot tell; the entry stays 'pending' and reconcile() decides.
 */
export async function slotIsOurs(
  ctx: EscrowContext,
  entry: JournalEntry,
  key: Buffer,
  err: unknown,
): Promise<boolean | null> {
  if (err instanceof CryptsetupError && (err.kind === 'wrong_passphrase' || err.kind === 'slot_in_use')) {
    return false;
  }
  const meta = await ctx.cs.dump(ctx.device).catch(() => null);
  if (!meta) return null;
  if (slotSalt(meta, entry.slot) === null) return false;
  return ctx.cs.testPassphrase(ctx.device, key, entry.slot).then(
    () => true,
    (e: unknown) => (e instanceof CryptsetupError && e.kind === 'wrong_passphrase' ? false : null),
  );
}
