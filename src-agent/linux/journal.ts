import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../node-lib/error-message.js';
import { ensurePrivateDir, removeFileDurably, writeFileAtomic } from '../durable-file.js';

/**
 * The escrow journal: one small file per escrow attempt in `<stateDir>/luks-journal/`, written durably
 * BEFORE the LUKS header changes and updated after each header step. After a crash, startup reconciliation
 * reads it to finish or drop the attempt.
 *
 * The recovery key is never stored in clear: the entry holds the CMS envelope (the key encrypted to the
 * escrow certificate), which only the server can open. That envelope is also the upload spool: the agent
 * re-sends it as it is until the server acknowledges.
 */

const Slot = z.number().int().min(0).max(31);
const Salt = z.string().min(1).max(256);

/** What every state of an entry carries. */
const EntryBase = {
  version: z.literal(1),
  escrow_id: z.uuid(),
  device_uuid: z.string().min(1).max(64),
  slot: Slot,
  /** Slots in use before the header changed: after a crash in 'pending', a slot N that is now used but
   * was free then can only be the one this attempt added (the agent is the only writer, under lock). */
  slots_before: z.array(Slot).max(32),
  /** base64 CMS envelope of the recovery key, encrypted to the escrow certificate. */
  envelope: z
    .string()
    .min(1)
    .max(64 * 1024),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
};

/**
 * One entry per state. Once the slot exists its KDF salt is known and recorded, so every state after
 * 'pending' carries a salt and 'pending' never does.
 */
export const JournalEntry = z.discriminatedUnion('state', [
  // entry written, the header not yet changed (the slot may or may not have been added)
  z.object({ ...EntryBase, state: z.literal('pending'), salt: z.null() }),
  // the slot exists; `salt` is its KDF salt
  z.object({ ...EntryBase, state: z.literal('slot_added'), salt: Salt }),
  // our LUKS2 token names the slot
  z.object({ ...EntryBase, state: z.literal('token_marked'), salt: Salt }),
  // the server stored the key; only the token update and this file's removal remain
  z.object({ ...EntryBase, state: z.literal('acked'), salt: Salt }),
]);
export type JournalEntry = z.infer<typeof JournalEntry>;
export type PendingEntry = Extract<JournalEntry, { state: 'pending' }>;
/** An entry whose slot exists (and whose salt is therefore known). */
export type SlotEntry = Exclude<JournalEntry, PendingEntry>;

export function hasSlot(entry: JournalEntry): entry is SlotEntry {
  return entry.state !== 'pending';
}

/** The next state of an entry whose slot exists. */
export function advanced(entry: SlotEntry, state: 'token_marked' | 'acked', at: Date): SlotEntry {
  return { ...entry, state, updated_at: at.toISOString() };
}

/** A 'pending' entry once its slot is found in the header with this salt. */
export function slotAdded(entry: PendingEntry, salt: string, at: Date): SlotEntry {
  return { ...entry, state: 'slot_added', salt, updated_at: at.toISOString() };
}

export class Journal {
  private readonly dir: string;

  constructor(
    stateDir: string,
    private readonly onCorrupt: (file: string, reason: string) => void = () => {},
  ) {
    this.dir = join(stateDir, 'luks-journal');
  }

  /** Durably write (create or replace) an entry. Validated first, so a bad entry never reaches the disk. */
  async write(entry: JournalEntry): Promise<void> {
    const valid = JournalEntry.parse(entry);
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.file(valid.escrow_id), `${JSON.stringify(valid)}\n`);
  }

  /**
   * Make the journal directory ahead of the first entry. Creating it durably costs an fsync of the state
   * directory, which would otherwise fall on the first escrow, between the request and luksAddKey.
   */
  async prepare(): Promise<void> {
    await ensurePrivateDir(this.dir);
  }

  /**
   * Remove the temp files of writes a kill interrupted (list() skips them; nothing else would ever remove
   * them). Only under the device lock, where no write of ours is in flight.
   */
  async sweepInterruptedWrites(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    const leftovers = names.filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
    for (const name of leftovers) await removeFileDurably(join(this.dir, name));
    return leftovers.length;
  }

  async remove(escrowId: string): Promise<void> {
    await removeFileDurably(this.file(z.uuid().parse(escrowId)));
  }

  /** Entries for one device (by LUKS UUID), oldest first. Unreadable files are reported and skipped. */
  async list(deviceUuid: string): Promise<JournalEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const entries: JournalEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue; // temp files of an interrupted write
      const file = join(this.dir, name);
      try {
        const parsed = JournalEntry.safeParse(JSON.parse(await readFile(file, 'utf8')));
        if (!parsed.success) this.onCorrupt(file, parsed.error.issues[0]?.message ?? 'invalid');
        else if (parsed.data.device_uuid === deviceUuid) entries.push(parsed.data);
      } catch (e) {
        this.onCorrupt(file, errorMessage(e));
      }
    }
    return entries.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  private file(escrowId: string): string {
    return join(this.dir, `${escrowId}.json`);
  }
}
