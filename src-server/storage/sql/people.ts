import type {
  NewSession,
  NewToken,
  NewUser,
  SessionRecord,
  TokenRecord,
  UserChange,
  UserRecord,
} from '../records.js';
import type { SqlDriver, SqlValue } from '../sql-driver.js';
import {
  now,
  TOKEN_COLUMNS,
  type TokenRow,
  teamsJson,
  toToken,
  toUser,
  USER_COLUMNS,
  type UserRow,
} from './rows.js';

/** People, their sessions, and API tokens. Secrets are stored only as digests (sessions, tokens) or scrypt. */

// --- API tokens -------------------------------------------------------------------------------------------

export async function addAdminToken(db: SqlDriver, tokenHash: string, t: NewToken): Promise<number> {
  const r = await db.get<{ id: number }>(
    `INSERT INTO admin_tokens (token_hash, role, name, created_at, teams, expires_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      tokenHash,
      t.role,
      t.name,
      now(),
      teamsJson(t.teams ?? null),
      t.expires_at ?? null,
      t.created_by ?? 'cli',
    ],
  );
  if (!r) throw new Error('insert returned no id');
  return r.id;
}

export async function findAdminToken(
  db: SqlDriver,
  tokenHash: string,
): Promise<(TokenRecord & { token_hash: string }) | null> {
  const r = await db.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM admin_tokens WHERE token_hash = ?`, [
    tokenHash,
  ]);
  return r ? toToken(r) : null;
}

export async function listAdminTokens(db: SqlDriver): Promise<TokenRecord[]> {
  const rows = await db.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM admin_tokens ORDER BY id`);
  return rows.map(toToken).map(({ token_hash: _hash, ...t }) => t);
}

export async function revokeAdminToken(db: SqlDriver, id: number): Promise<boolean> {
  const r = await db.run('UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
    now(),
    id,
  ]);
  return r.changes === 1;
}

export async function touchAdminToken(db: SqlDriver, id: number, at: string): Promise<void> {
  await db.run('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?', [at, id]);
}

// --- users ----------------------------------------------------------------------------------------------

export async function createUser(db: SqlDriver, u: NewUser): Promise<UserRecord | null> {
  const t = now();
  // ON CONFLICT DO NOTHING rather than catching a unique violation: the answer is the same on both databases.
  const r = await db.get<UserRow>(
    `INSERT INTO users (email, name, role, teams, password_hash, disabled, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [u.email, u.name, u.role, teamsJson(u.teams), u.password_hash, t, t],
  );
  return r ? toUser(r) : null;
}

export async function getUser(db: SqlDriver, id: number): Promise<UserRecord | null> {
  const r = await db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
  return r ? toUser(r) : null;
}

export async function findUserByEmail(db: SqlDriver, email: string): Promise<UserRecord | null> {
  const r = await db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`, [email]);
  return r ? toUser(r) : null;
}

export async function listUsers(db: SqlDriver): Promise<UserRecord[]> {
  return (await db.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`)).map(toUser);
}

export async function updateUser(db: SqlDriver, id: number, c: UserChange): Promise<UserRecord | null> {
  const sets: string[] = [];
  const params: SqlValue[] = [];
  const set = (column: string, value: SqlValue) => {
    sets.push(`${column} = ?`);
    params.push(value);
  };
  if (c.name !== undefined) set('name', c.name);
  if (c.role !== undefined) set('role', c.role);
  if (c.teams !== undefined) set('teams', teamsJson(c.teams));
  if (c.disabled !== undefined) set('disabled', c.disabled ? 1 : 0);
  if (c.password_hash !== undefined) set('password_hash', c.password_hash);
  set('updated_at', now());
  const r = await db.get<UserRow>(
    `UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING ${USER_COLUMNS}`,
    [...params, id],
  );
  return r ? toUser(r) : null;
}

export function deleteUser(db: SqlDriver, id: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.run('DELETE FROM sessions WHERE user_id = ?', [id]);
    return (await tx.run('DELETE FROM users WHERE id = ?', [id])).changes === 1;
  });
}

export async function recordSignIn(db: SqlDriver, userId: number, at: string): Promise<void> {
  await db.run('UPDATE users SET last_sign_in_at = ? WHERE id = ?', [at, userId]);
}

// --- sessions -------------------------------------------------------------------------------------------

const SESSION_COLUMNS =
  'id_hash, user_id, created_at, last_seen_at, expires_at, revoked_at, revoked_reason, ip, user_agent';

export async function createSession(db: SqlDriver, s: NewSession): Promise<void> {
  await db.run(
    `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [s.id_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent],
  );
}

export async function findSession(db: SqlDriver, idHash: string): Promise<SessionRecord | null> {
  return (
    (await db.get<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = ?`, [idHash])) ??
    null
  );
}

export async function touchSession(db: SqlDriver, idHash: string, at: string): Promise<void> {
  await db.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [at, idHash]);
}

export async function revokeSession(db: SqlDriver, idHash: string, reason: string): Promise<void> {
  await db.run(
    'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id_hash = ? AND revoked_at IS NULL',
    [now(), reason, idHash],
  );
}

export async function revokeUserSessions(db: SqlDriver, userId: number, reason: string): Promise<number> {
  const r = await db.run(
    'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
    [now(), reason, userId],
  );
  return r.changes;
}

export async function deleteEndedSessions(db: SqlDriver, before: string): Promise<number> {
  const r = await db.run('DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?', [before, before]);
  return r.changes;
}
