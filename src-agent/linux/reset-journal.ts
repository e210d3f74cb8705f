import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, removeFileDurably, writeFileAtomic } from '../durable-file.js';

/**
 * The journal of "Set a new disk passphrase" (passphrase-reset.ts): one small file per device in
 * `<stateDir>/passphrase-reset/`, written durably before the header changes and after each step. It holds
 * no secret (the new passphrase and the recovery key are never stored): only which slots the reset
 * touches, by number and KDF salt, so that a run after a crash recognises its own work, and so that the
 * desktop is asked to finish a reset that a crash or a queued upload left half done.
 */

const Slot = z.number().int().min(0).max(31);
const Salt = z.string().min(1).max(256);

export const ResetEntry = z.object({
  version: z.literal(1),
  device_uuid: z.string().min(1).max(64),
  /** Our escrow slot whose key was revealed and typed: it goes once a new key is escrowed. */
  used_slot: Slot,
  used_salt: Salt,
  /** The slot chosen for the new passphrase; its salt once luksAddKey made it. */
  new_slot: Slot,
  new_salt: Salt.nullable(),
  /** The forgotten passphrase's slot the person chose to remove (null: keep, or none found). */
  remove_slot: Slot.nullable(),
  remove_salt: Salt.nullable(),
  state: z.enum(['started', 'passphrase_added', 'old_passphrase_removed']),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ResetEntry = z.infer<typeof ResetEntry>;

export class ResetJournal {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'passphrase-reset');
  }

  /** The device's entry, or null. An unreadable one is reported and treated as absent (it has no secret). */
  async read(deviceUuid: string, onCorrupt: (reason: string) => void = () => {}): Promise<ResetEntry | null> {
    let raw: string;
    try {
      raw = await readFile(this.file(deviceUuid), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const parsed = ResetEntry.safeParse(JSON.parse(raw));
      if (parsed.success && parsed.data.device_uuid === deviceUuid) return parsed.data;
      onCorrupt(parsed.success ? 'entry of another device' : (parsed.error.issues[0]?.message ?? 'invalid'));
    } catch (e) {
      onCorrupt((e as Error).message);
    }
    return null;
  }

  async write(entry: ResetEntry): Promise<void> {
    const valid = ResetEntry.parse(entry);
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.file(valid.device_uuid), `${JSON.stringify(valid)}\n`);
  }

  async remove(deviceUuid: string): Promise<void> {
    await removeFileDurably(this.file(deviceUuid));
  }

  private file(deviceUuid: string): string {
    return join(this.dir, `${deviceUuid.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  }
}
