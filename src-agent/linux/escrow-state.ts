import type { AttemptStatus } from './attempt-limiter.js';
import { hasSlot, type JournalEntry, type SlotEntry } from './journal.js';
import {
  ESCROW_TOKEN_TYPE,
  type EscrowToken,
  freeSlots,
  type LuksMetadata,
  type OurToken,
  ourTokens,
  slotSalt,
} from './luks-metadata.js';

/**
 * The pure read model of our escrow on one LUKS2 device: the header (our tokens, the slots' salts) and the
 * journal read together say which key of ours is current, which are stale, and whether the host removed or
 * changed our key. No I/O here; luks-escrow.ts reads the header and the journal and hands them in.
 */

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
  /** A "Set a new disk passphrase" was left half done: the used recovery key is still on the disk. */
  resetPending: boolean;
};

type CurrentKey = {
  slot: number;
  salt: string;
  tokenState: 'pending' | 'escrowed';
  escrowedAt: string | null;
  pendingUpload: boolean;
};

export type EscrowState = {
  current: CurrentKey | null;
  stale: OurToken[];
  hostChange: 'removed' | 'changed' | null;
};

/**
 * Reads the header and journal together. The current key is the newest of ours whose slot is intact and
 * that the server holds or will hold (escrowed, or journaled for upload). Other intact slots of ours are
 * stale; a newest token whose slot is gone or re-keyed is a change made on the host.
 */
export function readEscrowState(meta: LuksMetadata, entries: JournalEntry[]): EscrowState {
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
    const e = entries.filter(hasSlot).findLast((x) => slotSalt(meta, x.slot) === x.salt);
    if (e) {
      current = { slot: e.slot, salt: e.salt, tokenState: 'pending', escrowedAt: null, pendingUpload: true };
      currentId = e.escrow_id;
    }
  }
  const stale = tokens.filter((t) => t.condition === 'intact' && t.token.escrow_id !== currentId);
  const newest = tokens[0];
  const hostChange = newest && newest.condition !== 'intact' ? newest.condition : null;
  return { current, stale, hostChange };
}

/** What status() reports for a device that is not LUKS2 (nothing of ours can be on it). */
export function statusWithoutLuks2(device: string, encrypted: boolean): LuksStatus {
  return {
    device,
    uuid: null,
    encrypted,
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
    resetPending: false,
  };
}

/** The status of a LUKS2 device from its header, our journal and the attempt limiter. */
export function luks2Status(
  device: string,
  uuid: string,
  meta: LuksMetadata,
  entries: JournalEntry[],
  attempts: AttemptStatus,
): LuksStatus {
  const view = readEscrowState(meta, entries);
  return {
    ...statusWithoutLuks2(device, true),
    uuid,
    luks2: true,
    freeSlots: freeSlots(meta).length,
    ourSlot: view.current?.slot ?? null,
    salt: view.current?.salt ?? null,
    tokenState: view.current?.tokenState ?? 'none',
    escrowedAt: view.current?.escrowedAt ?? null,
    pendingUpload: view.current?.pendingUpload ?? false,
    needsKey: view.current === null,
    hostChange: view.current === null ? view.hostChange : null,
    staleSlots: view.stale.flatMap((t) => (t.slot === null ? [] : [t.slot])),
    attemptsLeft: attempts.attemptsLeft,
    cooldownUntil: attempts.cooldownUntil?.toISOString() ?? null,
  };
}

/** Our LUKS2 token for a journaled slot, as it goes into the header. */
export function tokenFor(entry: SlotEntry, state: EscrowToken['state'], escrowedAt?: string): EscrowToken {
  return {
    type: ESCROW_TOKEN_TYPE,
    keyslots: [String(entry.slot)],
    escrow_id: entry.escrow_id,
    state,
    salt: entry.salt,
    created_at: entry.created_at,
    ...(escrowedAt ? { escrowed_at: escrowedAt } : {}),
  };
}

export function findToken(meta: LuksMetadata, escrowId: string): OurToken | undefined {
  return ourTokens(meta).find((t) => t.token.escrow_id === escrowId);
}
