import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { CliInputError } from '../admin-cli.js';
import { makeBackup, restoreBackup } from './backup.js';

export interface BackupFlags {
  dataDir: string;
  database?: string | undefined;
  out?: string | undefined;
  in?: string | undefined;
  passphraseStdin: boolean;
  passphraseFd?: string | undefined;
}

/**
 * The passphrase from stdin or an inherited file descriptor, never argv or the environment (where other
 * users and crash reports could see it). One trailing newline is dropped, as `echo` or a file adds one.
 */
async function passphrase(flags: BackupFlags): Promise<Buffer> {
  if (flags.passphraseStdin === (flags.passphraseFd !== undefined)) {
    throw new CliInputError(
      'give the passphrase with exactly one of --passphrase-stdin or --passphrase-fd N',
    );
  }
  let raw: Buffer;
  if (flags.passphraseFd !== undefined) {
    if (!/^\d{1,4}$/.test(flags.passphraseFd) || Number(flags.passphraseFd) < 3) {
      throw new CliInputError('--passphrase-fd must be a file descriptor number of 3 or more');
    }
    raw = await buffer(createReadStream('', { fd: Number(flags.passphraseFd) }));
  } else {
    raw = await buffer(process.stdin);
  }
  let end = raw.length;
  if (raw[end - 1] === 0x0a) end -= 1;
  if (raw[end - 1] === 0x0d) end -= 1;
  const out = Buffer.from(raw.subarray(0, end));
  raw.fill(0);
  return out;
}

/** `escrow-server backup` and `restore`; returns what to print. */
export async function backupCommand(command: 'backup' | 'restore', flags: BackupFlags): Promise<string> {
  const secret = await passphrase(flags);
  try {
    if (command === 'backup') {
      if (!flags.out) throw new CliInputError('--out FILE is required');
      const bytes = await makeBackup({
        dataDir: flags.dataDir,
        postgres: Boolean(flags.database),
        passphrase: secret,
      });
      await writeFile(flags.out, bytes, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new CliInputError(`${flags.out} exists; choose a new file`);
        throw err;
      });
      return flags.database
        ? `Backup of the escrow keys written to ${flags.out}. Back up the PostgreSQL database with it (pg_dump), see README: Backups.\n`
        : `Backup of the escrow keys and the SQLite database written to ${flags.out}.\n`;
    }
    if (!flags.in) throw new CliInputError('--in FILE is required');
    const r = await restoreBackup({
      dataDir: flags.dataDir,
      backup: await readFile(flags.in),
      passphrase: secret,
      postgres: Boolean(flags.database),
    });
    return `Restored ${r.generations} escrow key generation(s)${r.store === 'sqlite' ? ' and the SQLite database' : ''} into ${flags.dataDir}.\n`;
  } finally {
    secret.fill(0);
  }
}
