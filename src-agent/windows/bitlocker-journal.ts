import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, removeFileDurably, writeFileAtomic } from '../durable-file.js';
import { DeviceId, ProtectorId } from './bitlocker-snapshot.js';

/**
 * The BitLocker escrow journal: one file per volume under `<stateDir>/bitlocker-journal/`, written durably
 * BEFORE a protector is added and after every step, so a kill -9 at any point is finished by reconcile().
 * The recovery password is never stored in clear: `envelope` is the CMS envelope to the escrow
 * certificate, which only the server opens, and is also the upload spool (re-sent as is until acknowledged).
 *
 * States: `pending` (nothing added yet, or added and not yet found: the protectors that existed before are
 * listed, so a new one can only be ours); `password_added` (our protector and its envelope known; TPM and
 * encryption steps may remain; upload pending); `acked` (the server stored it: old recovery passwords may
 * go now, and only now).
 */

const Base = {
  version: z.literal(1),
  escrow_id: z.uuid(),
  device_id: DeviceId,
  drive: z.string().max(8),
  /** `encrypt`: the volume was clear; `replace`: encrypted already (by us or anyone): never decrypted. */
  kind: z.enum(['encrypt', 'replace']),
  /** Every protector on the volume when the entry was written. */
  protectors_before: z.array(ProtectorId).max(64),
  /** The escrow certificate the envelope is (or will be) encrypted to; public. */
  certificate_pem: z
    .string()
    .min(1)
    .max(64 * 1024),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
};
const Envelope = z
  .string()
  .min(1)
  .max(64 * 1024);

export const BitLockerJournalEntry = z.discriminatedUnion('state', [
  z.object({ ...Base, state: z.literal('pending'), protector_id: z.null(), envelope: z.null() }),
  z.object({ ...Base, state: z.literal('password_added'), protector_id: ProtectorId, envelope: Envelope }),
  z.object({ ...Base, state: z.literal('acked'), protector_id: ProtectorId, envelope: Envelope }),
]);
export type BitLockerJournalEntry = z.infer<typeof BitLockerJournalEntry>;

/** Which recovery-password protector of a volume the server holds (the agent proves it still exists). */
export const EscrowedProtector = z.object({
  device_id: DeviceId,
  protector_id: ProtectorId,
  escrowed_at: z.iso.datetime(),
});
export type EscrowedProtector = z.infer<typeof EscrowedProtector>;

const fileName = (deviceId: string) => {
  // \\?\Volume{GUID}\ → the GUID: a safe file name on every file system.
  const guid = /\{([0-9A-Fa-f-]{36})\}/.exec(deviceId)?.[1];
  if (!guid) throw new Error(`not a volume device ID: ${deviceId}`);
  return `${guid.toLowerCase()}.json`;
};

async function readJson<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return schema.parse(JSON.parse(text));
}

/** Small durable per-volume JSON files in one folder of the state directory. */
class VolumeFiles<T extends z.ZodType> {
  private made = false;

  constructor(
    private readonly dir: string,
    private readonly schema: T,
  ) {}

  read(deviceId: string): Promise<z.infer<T> | null> {
    return readJson(join(this.dir, fileName(deviceId)), this.schema);
  }

  async write(deviceId: string, value: z.infer<T>): Promise<void> {
    if (!this.made) {
      await ensurePrivateDir(this.dir);
      this.made = true;
    }
    await writeFileAtomic(join(this.dir, fileName(deviceId)), JSON.stringify(this.schema.parse(value)));
  }

  remove(deviceId: string): Promise<void> {
    return removeFileDurably(join(this.dir, fileName(deviceId)));
  }
}

export class BitLockerJournal extends VolumeFiles<typeof BitLockerJournalEntry> {
  constructor(stateDir: string) {
    super(join(stateDir, 'bitlocker-journal'), BitLockerJournalEntry);
  }
}

export class EscrowedProtectors extends VolumeFiles<typeof EscrowedProtector> {
  constructor(stateDir: string) {
    super(join(stateDir, 'bitlocker-escrowed'), EscrowedProtector);
  }
}

export const journalDirs = (stateDir: string) => [
  join(stateDir, 'bitlocker-journal'),
  join(stateDir, 'bitlocker-escrowed'),
];
