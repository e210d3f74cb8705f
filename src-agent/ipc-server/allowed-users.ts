import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TokenHolder } from './peer-tokens.js';

const run = promisify(execFile);

/**
 * The users who may ask for escrow: root, anyone with a local logind session, and the `--allow-user` names.
 * Pure: the caller supplies the session users and the resolved --allow-user accounts.
 */
export function allowedUsers(sessionUsers: TokenHolder[], extraUsers: TokenHolder[]): TokenHolder[] {
  const byUid = new Map<number, TokenHolder>([[0, { uid: 0, name: 'root' }]]);
  for (const u of [...extraUsers, ...sessionUsers])
    if (!byUid.has(u.uid)) byUid.set(u.uid, { uid: u.uid, name: u.name });
  return [...byUid.values()].sort((a, b) => a.uid - b.uid);
}

/**
 * Resolves an account name to its uid through NSS (`getent passwd`), so LDAP/SSSD accounts work too.
 * Throws with a clear message for an unknown name: a typo in --allow-user must not pass silently.
 */
export async function resolveUser(name: string): Promise<TokenHolder> {
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?$/.test(name)) throw new Error(`invalid user name: ${name}`);
  let stdout: string;
  try {
    ({ stdout } = await run('getent', ['passwd', name], { timeout: 10_000 }));
  } catch {
    throw new Error(`--allow-user ${name}: no such user`);
  }
  const uid = Number(stdout.split(':')[2]);
  if (!Number.isInteger(uid) || uid < 0) throw new Error(`--allow-user ${name}: no uid in passwd entry`);
  return { uid, name };
}
