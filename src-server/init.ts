import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addEscrowKeyGeneration,
  type EscrowKeyGeneration,
  hasEscrowKeys,
  loadEscrowKeys,
} from './escrow/key-files.js';
import { digest, newSecret } from './http/secrets.js';
import { ENROLL_SECRET_SETTING } from './server.js';
import { openStore } from './storage/open.js';
import type { Role } from './storage/port.js';

export interface InitResult {
  enroll_secret: string;
  admin_token: string;
  escrow_certificate_path: string;
}

export class AlreadyInitializedError extends Error {
  constructor(dataDir: string) {
    super(
      `${dataDir} is already initialized; nothing was changed. Use add-admin-token for another token and ` +
        'rotate-escrow-cert for a new certificate.',
    );
  }
}

/**
 * Creates the database, the first escrow certificate, the enroll secret and the first admin token. The
 * secrets are shown once (only their digests are stored). A second run changes nothing and says so.
 *
 * A new (or empty) data directory is made whole or not at all: everything is written into
 * `DIR.init-partial` beside it, which is renamed to DIR only once init succeeded, so a run that dies
 * half-way (a crash inside a native module, kill -9, a full disk) leaves no database that later runs trip
 * on. A directory that already holds something is completed in place: only the missing parts are made,
 * and an existing private key is never replaced.
 */
export async function initDataDir(opts: { dataDir: string; databaseUrl?: string }): Promise<InitResult> {
  if (!(await isMissingOrEmpty(opts.dataDir))) return initInPlace(opts);
  const partial = `${opts.dataDir}.init-partial`;
  // Only ever made by this function: what a killed run left there is discarded.
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true, mode: 0o700 });
  try {
    const r = await initInPlace({ ...opts, dataDir: partial });
    // rename(2) replaces an empty directory, so an admin's `mkdir -p DIR` beforehand is no obstacle.
    await rename(partial, opts.dataDir);
    return {
      ...r,
      escrow_certificate_path: join(opts.dataDir, r.escrow_certificate_path.slice(partial.length)),
    };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Only PostgreSQL can be initialized while the data directory is empty: name what is, not the scratch.
    if (err instanceof AlreadyInitializedError) throw new AlreadyInitializedError('the database');
    throw err;
  }
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function initInPlace(opts: { dataDir: string; databaseUrl?: string }): Promise<InitResult> {
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(opts);
  try {
    const hadKeys = await hasEscrowKeys(opts.dataDir);
    const hadSecret = (await store.getSetting(ENROLL_SECRET_SETTING)) !== null;
    if (hadKeys && hadSecret) throw new AlreadyInitializedError(opts.dataDir);
    const cert: EscrowKeyGeneration = hadKeys
      ? (await loadEscrowKeys(opts.dataDir)).current
      : await addEscrowKeyGeneration(opts.dataDir);
    const enrollSecret = newSecret();
    const adminToken = newSecret();
    if (!(await store.insertSetting(ENROLL_SECRET_SETTING, digest(enrollSecret)))) {
      throw new AlreadyInitializedError(opts.dataDir);
    }
    await store.addAdminToken(digest(adminToken), {
      role: 'admin',
      name: 'initial admin',
      created_by: 'init',
    });
    return {
      enroll_secret: enrollSecret,
      admin_token: adminToken,
      escrow_certificate_path: cert.certificatePath,
    };
  } finally {
    await store.close();
  }
}

/** Another admin API token; the token is returned once and stored as a digest. */
export async function addAdminToken(opts: {
  dataDir: string;
  databaseUrl?: string;
  role: Role;
  name: string;
  /** Limit the token to these teams (ids); absent = every host. */
  teams?: number[] | null;
  /** Absent or null = never expires (as tokens always did). */
  expiresAt?: string | null;
}): Promise<string> {
  const store = await openStore(opts);
  try {
    const token = newSecret();
    await store.addAdminToken(digest(token), {
      role: opts.role,
      name: opts.name,
      teams: opts.teams ?? null,
      expires_at: opts.expiresAt ?? null,
      created_by: 'cli',
    });
    return token;
  } finally {
    await store.close();
  }
}
