import { z } from 'zod';

/**
 * The parts of `cryptsetup luksDump --dump-json-metadata` the agent reads, plus the LUKS2 token that marks
 * the key slot we escrowed. Objects are parsed loosely: cryptsetup adds fields between versions and we
 * must not break on them.
 */

export const LUKS2_SLOT_COUNT = 32;
const SlotId = z.string().regex(/^\d+$/);

const Keyslot = z.looseObject({
  type: z.string(),
  kdf: z.looseObject({
    type: z.string(),
    salt: z.string().optional(),
    hash: z.string().optional(),
    iterations: z.number().optional(),
  }),
});

const Token = z.looseObject({ type: z.string(), keyslots: z.array(SlotId) });

export const LuksMetadata = z.looseObject({
  keyslots: z.record(SlotId, Keyslot),
  tokens: z.record(SlotId, Token),
  segments: z.record(z.string(), z.unknown()),
  digests: z.record(z.string(), z.unknown()),
  config: z.looseObject({ json_size: z.string() }),
});
export type LuksMetadata = z.infer<typeof LuksMetadata>;

export function usedSlots(meta: LuksMetadata): number[] {
  return Object.keys(meta.keyslots)
    .map(Number)
    .sort((a, b) => a - b);
}

export function freeSlots(meta: LuksMetadata): number[] {
  const used = new Set(usedSlots(meta));
  return Array.from({ length: LUKS2_SLOT_COUNT }, (_, i) => i).filter((i) => !used.has(i));
}

/** A slot's KDF salt changes whenever its key changes, so it identifies "this key in this slot". */
export function slotSalt(meta: LuksMetadata, slot: number): string | null {
  return meta.keyslots[String(slot)]?.kdf.salt ?? null;
}

/** Whether any token (ours or another tool's: systemd-tpm2, systemd-fido2, …) names this slot. */
export function slotHasToken(meta: LuksMetadata, slot: number): boolean {
  return Object.values(meta.tokens).some((t) => t.keyslots.includes(String(slot)));
}

/**
 * Whether a slot's KDF is the one we give our slots. Type, hash and iteration count must all match; a
 * user's slot (argon2id by default) never does.
 */
export function slotKdfIs(
  meta: LuksMetadata,
  slot: number,
  kdf: { type: string; hash?: string; iterations?: number },
): boolean {
  const actual = meta.keyslots[String(slot)]?.kdf;
  if (!actual || actual.type !== kdf.type) return false;
  return kdf.type !== 'pbkdf2' || (actual.hash === kdf.hash && actual.iterations === kdf.iterations);
}

// ---- Our token ----

export const ESCROW_TOKEN_TYPE = 'escrow-desktop';

/**
 * Stored in the LUKS2 header next to the slot it names (the whole JSON area is 12 KiB, so it stays small).
 * cryptsetup keeps a token when its slot is removed and empties `keyslots`: that is how we notice a key
 * removed on the host. `salt` is the slot's KDF salt when we added it: a different salt later means the
 * key in that slot was changed on the host.
 */
export const EscrowToken = z.object({
  type: z.literal(ESCROW_TOKEN_TYPE),
  keyslots: z.array(SlotId).max(1),
  escrow_id: z.uuid(),
  state: z.enum(['pending', 'escrowed']),
  salt: z.string().min(1).max(256),
  created_at: z.iso.datetime(),
  escrowed_at: z.iso.datetime().optional(),
});
export type EscrowToken = z.infer<typeof EscrowToken>;

export type OurToken = {
  tokenId: number;
  token: EscrowToken;
  /** The slot the token still points at, or null when cryptsetup emptied `keyslots` (slot removed). */
  slot: number | null;
  /** intact: slot present with the salt we recorded; removed / changed: the host removed or replaced it. */
  condition: 'intact' | 'removed' | 'changed';
};

/** Every token of ours in the header, newest first. Foreign or malformed tokens are ignored. */
export function ourTokens(meta: LuksMetadata): OurToken[] {
  const found: OurToken[] = [];
  for (const [id, raw] of Object.entries(meta.tokens)) {
    if (raw.type !== ESCROW_TOKEN_TYPE) continue;
    const parsed = EscrowToken.safeParse(raw);
    if (!parsed.success) continue;
    const token = parsed.data;
    const slotId = token.keyslots[0];
    const slot = slotId === undefined ? null : Number(slotId);
    const salt = slot === null ? null : slotSalt(meta, slot);
    const condition = salt === null ? 'removed' : salt === token.salt ? 'intact' : 'changed';
    found.push({ tokenId: Number(id), token, slot, condition });
  }
  return found.sort((a, b) => b.token.created_at.localeCompare(a.token.created_at));
}
