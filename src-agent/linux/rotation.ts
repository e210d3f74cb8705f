import { errorMessage } from '../../node-lib/error-message.js';
import { CryptsetupError } from './cryptsetup.js';
import { type EscrowContext, guarded } from './escrow-context.js';
import type { SlotEntry } from './journal.js';
import { ourTokens, usedSlots } from './luks-metadata.js';

/**
 * Rotation's second half: once the server acknowledged the new key, our other slots go. Their keys are not
 * kept anywhere, so they are removed with `luksKillSlot` authorised by the NEW key (a key of another slot,
 * as luksKillSlot requires; cheap, since the new slot uses the fast KDF). While an upload is queued the old
 * slots stay (their keys are still the ones the server holds) and the next successful escrow removes them.
 */

/**
 * Remove our slots other than `current` that are intact (previous keys, or a pending slot whose journal
 * was lost), and drop tokens whose slot was removed or changed. Never a slot without our token, never the
 * last slot, and never the slot the user's passphrase opens: someone who unlocked with the old recovery key
 * would otherwise lose the key they know. That check runs the passphrase against our old slot only, which
 * is cheap (fast KDF on our slots). A failure is logged and leaves that slot for the next escrow.
 */
export async function removeStaleSlots(
  ctx: EscrowContext,
  uuid: string,
  current: Pick<SlotEntry, 'escrow_id' | 'slot'>,
  key: Buffer,
  passphrase: Buffer,
): Promise<void> {
  const { device, log, cs } = ctx;
  const meta = await guarded(ctx, () => cs.dump(device));
  const entries = await ctx.journal.list(uuid);
  for (const t of ourTokens(meta)) {
    if (t.token.escrow_id === current.escrow_id) continue;
    try {
      if (t.condition === 'intact' && t.slot !== null) {
        if (t.slot === current.slot) continue;
        if (usedSlots(await cs.dump(device)).length < 3) continue; // user's + new + this one
        if (await opens(ctx, t.slot, passphrase)) {
          log.warn({ device, slot: t.slot }, 'keeping previous escrow slot: the user unlocked with it');
          continue;
        }
        await cs.killSlot(device, t.slot, key);
        log.info({ device, slot: t.slot }, 'removed previous escrow slot');
      }
      await cs.tokenRemove(device, t.tokenId);
      const stale = entries.find((e) => e.escrow_id === t.token.escrow_id);
      if (stale) await ctx.journal.remove(stale.escrow_id);
    } catch (e) {
      log.warn({ device, slot: t.slot, err: errorMessage(e) }, 'could not remove previous escrow slot');
    }
  }
}

async function opens(ctx: EscrowContext, slot: number, secret: Buffer): Promise<boolean> {
  try {
    await ctx.cs.testPassphrase(ctx.device, secret, slot);
    return true;
  } catch (e) {
    if (e instanceof CryptsetupError && e.kind === 'wrong_passphrase') return false;
    throw e;
  }
}
