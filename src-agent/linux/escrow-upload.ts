import { errorMessage } from '../../node-lib/error-message.js';
import { ServerBusyError, ServerUnavailableError } from '../platform-port.js';
import { type EscrowContext, guarded } from './escrow-context.js';
import { tokenFor } from './escrow-state.js';
import { advanced, type SlotEntry } from './journal.js';
import { refusedError } from './luks-errors.js';

/**
 * Sending a journaled key to the server and the bookkeeping once it is there. Used by a new escrow and by
 * reconcile() for keys a crash or an unreachable server left queued.
 */

export type Acknowledged = {
  outcome: 'acked';
  /** The journal entry, now 'acked' on disk. */
  entry: SlotEntry;
  /** Our token for the slot, when one was written ('pending'). */
  tokenId: number | null;
  escrowedAt: string;
};

/** The server could not take the key now: it was unreachable, or asked us to slow down until `retryAt`. */
export type Queued = { outcome: 'queued'; retryAt: Date | null };

/**
 * Send the journaled envelope. The slot is marked as ours ('pending' token) first when it is not yet.
 * Unreachable server → 'queued' (slot and journal stay; never remove a slot because of the network); a
 * refusal throws and also leaves the entry queued. On the ack the entry becomes 'acked' before this returns,
 * so what is left (recordEscrowed) is finished by reconcile() after a crash.
 */
export async function upload(
  ctx: EscrowContext,
  entry: SlotEntry,
  tokenId: number | null,
): Promise<Acknowledged | Queued> {
  const { device, log } = ctx;
  let current = entry;
  let ourTokenId = tokenId;
  if (current.state !== 'acked') {
    if (ourTokenId === null) {
      const pending = tokenFor(current, 'pending');
      ourTokenId = await guarded(ctx, () => ctx.cs.tokenImport(device, pending));
    }
    try {
      await ctx.uploader({
        escrow_id: current.escrow_id,
        key_slot: current.slot,
        salt: current.salt,
        base64_encrypted: current.envelope,
      });
    } catch (e) {
      if (e instanceof ServerBusyError) {
        log.warn(
          { device, escrowId: current.escrow_id, retryAt: e.retryAt.toISOString() },
          'the escrow server asked us to slow down (HTTP 429); the key is safe on this computer and will be sent then',
        );
        return { outcome: 'queued', retryAt: e.retryAt };
      }
      if (e instanceof ServerUnavailableError) {
        log.warn(
          { device, escrowId: current.escrow_id, reason: e.message },
          'server unreachable, key queued',
        );
        return { outcome: 'queued', retryAt: null };
      }
      log.error({ device, escrowId: current.escrow_id, err: errorMessage(e) }, 'server refused the key');
      throw refusedError();
    }
    ctx.crash('uploaded');
    current = advanced(current, 'acked', ctx.now());
    await ctx.journal.write(current);
    ctx.crash('acked');
  }
  return { outcome: 'acked', entry: current, tokenId: ourTokenId, escrowedAt: ctx.now().toISOString() };
}

/** After the ack: mark our token escrowed and clear the journal entry. */
export async function recordEscrowed(ctx: EscrowContext, acked: Acknowledged): Promise<void> {
  const { device, log } = ctx;
  const escrowed = tokenFor(acked.entry, 'escrowed', acked.escrowedAt);
  await guarded(ctx, () => ctx.cs.tokenImport(device, escrowed, acked.tokenId ?? undefined));
  ctx.crash('token_escrowed');
  await ctx.journal.remove(acked.entry.escrow_id);
  log.info({ device, slot: acked.entry.slot, escrowId: acked.entry.escrow_id }, 'recovery key escrowed');
}

/** upload() and, on the ack, recordEscrowed(): the whole way for a queued key. */
export async function finishUpload(
  ctx: EscrowContext,
  entry: SlotEntry,
  tokenId: number | null,
): Promise<'escrowed' | 'queued'> {
  const sent = await upload(ctx, entry, tokenId);
  if (sent.outcome === 'queued') return 'queued';
  await recordEscrowed(ctx, sent);
  return 'escrowed';
}
