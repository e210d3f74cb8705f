import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { CliInputError } from '../admin-cli.js';
import { ESCROW_KEYS_DIR, hasEscrowKeys, loadEscrowKeys } from '../escrow/key-files.js';
import { SQLITE_FILE } from '../storage/open.js';

/**
 * `escrow-server backup` / `restore`: the one thing whose loss makes every stored key useless is the escrow
 * private keys, so they (every generation) go into one file encrypted with a passphrase (scrypt → AES-256-
 * GCM), together with a consistent copy of the SQLite database when that is the store. On PostgreSQL the
 * database is backed up with PostgreSQL's own tools (README: Backups); this file pairs with that dump.
 */
export const BACKUP_FORMAT = 'escrow-server-backup';

/** scrypt cost: about 100 ms and 32 MiB per try on a laptop, so guessing a passphrase stays slow. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const MIN_PASSPHRASE = 12;

/** Bad input (wrong passphrase, not a backup, a data dir in use): a message, not a stack trace. */
export class BackupError extends CliInputError {}

const Envelope = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  created_at: z.string().max(40),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(2 ** 20),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: z.string().max(100),
  }),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string().max(100),
  tag: z.string().max(100),
  ciphertext: z.string(),
});

const Contents = z.object({
  store: z.enum(['sqlite', 'postgres']),
  escrow_keys: z.array(
    z.object({ name: z.string().regex(/^\d{4,}\.(cert|key)\.pem$/), pem: z.string().max(64 * 1024) }),
  ),
  sqlite_base64: z.string().nullable(),
});
type Contents = z.infer<typeof Contents>;

function deriveKey(
  passphrase: Buffer,
  salt: Buffer,
  kdf: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { ...kdf, maxmem: SCRYPT.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Reads the data dir (and its SQLite database unless `postgres`), encrypts, returns the backup's bytes. */
export async function makeBackup(opts: {
  dataDir: string;
  postgres: boolean;
  passphrase: Buffer;
}): Promise<Buffer> {
  if (opts.passphrase.length < MIN_PASSPHRASE) {
    throw new BackupError(`the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  }
  await loadEscrowKeys(opts.dataDir); // fails clearly when the data dir has no escrow keys
  const dir = join(opts.dataDir, ESCROW_KEYS_DIR);
  const names = (await readdir(dir)).filter((n) => /^\d{4,}\.(cert|key)\.pem$/.test(n)).sort();
  const contents: Contents = {
    store: opts.postgres ? 'postgres' : 'sqlite',
    escrow_keys: await Promise.all(
      names.map(async (name) => ({ name, pem: await readFile(join(dir, name), 'utf8') })),
    ),
    sqlite_base64: opts.postgres
      ? null
      : (await sqliteSnapshot(join(opts.dataDir, SQLITE_FILE))).toString('base64'),
  };
  const plain = Buffer.from(JSON.stringify(contents));
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(opts.passphrase, salt, SCRYPT);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    const envelope: z.infer<typeof Envelope> = {
      format: BACKUP_FORMAT,
      version: 1,
      created_at: new Date().toISOString(),
      kdf: { name: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64') },
      cipher: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    return Buffer.from(`${JSON.stringify(envelope)}\n`);
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

/** A consistent copy of a live database (WAL included), through SQLite's online backup. */
async function sqliteSnapshot(path: string): Promise<Buffer> {
  if (!existsSync(path))
    throw new BackupError(`${path} does not exist (a PostgreSQL store needs --database)`);
  const tmp = await mkdtemp(join(tmpdir(), 'escrow-backup-'));
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    await db.backup(join(tmp, SQLITE_FILE));
    return await readFile(join(tmp, SQLITE_FILE));
  } finally {
    db.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Writes a backup into an empty data dir: the escrow keys, and the SQLite database when the backup has one.
 * Never overwrites: a data dir with escrow keys or a database is refused.
 */
export async function restoreBackup(opts: {
  dataDir: string;
  backup: Buffer;
  passphrase: Buffer;
  postgres: boolean;
}): Promise<{ generations: number; store: 'sqlite' | 'postgres' }> {
  let envelope: z.infer<typeof Envelope>;
  try {
    envelope = Envelope.parse(JSON.parse(opts.backup.toString('utf8')));
  } catch {
    throw new BackupError('this is not an escrow server backup (or it is damaged)');
  }
  const key = await deriveKey(opts.passphrase, Buffer.from(envelope.kdf.salt, 'base64'), envelope.kdf);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new BackupError('wrong passphrase, or the backup was changed');
  } finally {
    key.fill(0);
  }
  try {
    const contents = Contents.parse(JSON.parse(plain.toString('utf8')));
    if (contents.store === 'sqlite' && opts.postgres) {
      throw new BackupError('this backup holds a SQLite database; restore it without --database');
    }
    if (contents.store === 'postgres' && !opts.postgres) {
      throw new BackupError(
        'this backup is of a PostgreSQL server: restore the database with pg_restore and give --database',
      );
    }
    if ((await hasEscrowKeys(opts.dataDir)) || existsSync(join(opts.dataDir, SQLITE_FILE))) {
      throw new BackupError(
        `${opts.dataDir} already holds escrow keys or a database; restore into an empty one`,
      );
    }
    const dir = join(opts.dataDir, ESCROW_KEYS_DIR);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Keys before certificates, as init writes them: a certificate never stands without its key.
    const ordered = [...contents.escrow_keys].sort(
      (a, b) => Number(b.name.includes('.key.')) - Number(a.name.includes('.key.')),
    );
    for (const f of ordered) {
      await writeFile(join(dir, f.name), f.pem, {
        mode: f.name.endsWith('.key.pem') ? 0o600 : 0o644,
        flag: 'wx',
      });
    }
    if (contents.sqlite_base64 !== null) {
      await writeFile(join(opts.dataDir, SQLITE_FILE), Buffer.from(contents.sqlite_base64, 'base64'), {
        mode: 0o600,
        flag: 'wx',
      });
    }
    const keySet = await loadEscrowKeys(opts.dataDir);
    return { generations: keySet.all.length, store: contents.store };
  } finally {
    plain.fill(0);
  }
}
