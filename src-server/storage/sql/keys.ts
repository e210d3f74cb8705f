import type { ArchivedKey, ArchiveReason, DecryptabilityAnswer, NewKey, UncheckedKey } from '../records.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import { refreshStatuses } from './host-views.js';
import { int, type KeyRow, now } from './rows.js';

/** Escrowed keys: storing, errors, verification answers and the archive. */

const CURRENT_KEY = `SELECT host_id, base64_encrypted, key_slot, salt, decryptable, version, escrow_id, created_at
  FROM host_disk_encryption_keys WHERE host_id = ?`;

/** `' FOR UPDATE'` on PostgreSQL (row locks for read-then-write in a transaction); '' on SQLite. */
export type ForUpdate = string;

/**
 * Key changes of one host run one at a time. The host's row always exists, so it is what we lock: a
 * `FOR UPDATE` on a host's key row locks nothing before its first key, and two concurrent first keys
 * would both insert.
 */
async function lockHost(tx: SqlExecutor, hostId: number, forUpdate: ForUpdate): Promise<void> {
  await tx.get(`SELECT id FROM hosts WHERE id = ?${forUpdate}`, [hostId]);
}

export function storeKey(
  db: SqlDriver,
  forUpdate: ForUpdate,
  hostId: number,
  key: NewKey,
): Promise<'stored' | 'duplicate'> {
  return db.transaction(async (tx) => {
    await lockHost(tx, hostId, forUpdate);
    const current = await tx.get<KeyRow>(`${CURRENT_KEY}${forUpdate}`, [hostId]);
    if (current && key.escrow_id !== null && current.escrow_id === key.escrow_id) return 'duplicate';
    const t = now();
    if (current) {
      await archive(tx, hostId, current, 'replaced');
      await tx.run(
        `UPDATE host_disk_encryption_keys SET base64_encrypted = ?, key_slot = ?, salt = ?, client_error = '',
           decryptable = ?, version = version + 1, escrow_id = ?, created_at = ?, updated_at = ?
         WHERE host_id = ?`,
        [key.base64_encrypted, key.key_slot, key.salt, int(key.decryptable), key.escrow_id, t, t, hostId],
      );
    } else {
      await tx.run(
        `INSERT INTO host_disk_encryption_keys (host_id, base64_encrypted, key_slot, salt, client_error,
           decryptable, version, escrow_id, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, 1, ?, ?, ?)`,
        [hostId, key.base64_encrypted, key.key_slot, key.salt, int(key.decryptable), key.escrow_id, t, t],
      );
    }
    await tx.run('UPDATE hosts SET rotate_requested = 0 WHERE id = ?', [hostId]);
    await refreshStatuses(tx, [hostId]);
    return 'stored';
  });
}

export function recordClientError(
  db: SqlDriver,
  forUpdate: ForUpdate,
  hostId: number,
  message: string,
): Promise<void> {
  return db.transaction(async (tx) => {
    await lockHost(tx, hostId, forUpdate);
    const t = now();
    const r = await tx.run(
      'UPDATE host_disk_encryption_keys SET client_error = ?, updated_at = ? WHERE host_id = ?',
      [message, t, hostId],
    );
    if (r.changes === 0) {
      await tx.run(
        `INSERT INTO host_disk_encryption_keys (host_id, base64_encrypted, client_error, version, created_at,
           updated_at) VALUES (?, NULL, ?, 1, ?, ?)`,
        [hostId, message, t, t],
      );
    }
    await refreshStatuses(tx, [hostId]);
  });
}

/** One transaction for the whole batch: the verification job writes thousands of answers per run. */
export function setDecryptable(db: SqlDriver, answers: readonly DecryptabilityAnswer[]): Promise<boolean[]> {
  return db.transaction(async (tx) => {
    const written: boolean[] = [];
    for (const a of answers) {
      const r = await tx.run(
        'UPDATE host_disk_encryption_keys SET decryptable = ? WHERE host_id = ? AND version = ? AND base64_encrypted IS NOT NULL',
        [a.decryptable ? 1 : 0, a.hostId, a.version],
      );
      written.push(r.changes === 1);
    }
    await refreshStatuses(
      tx,
      answers.filter((_, i) => written[i]).map((a) => a.hostId),
    );
    return written;
  });
}

export function listUncheckedKeys(
  db: SqlDriver,
  limit: number,
  afterHostId: number,
): Promise<UncheckedKey[]> {
  return db.all<UncheckedKey>(
    `SELECT k.host_id, h.platform, k.version, k.base64_encrypted FROM host_disk_encryption_keys k
     JOIN hosts h ON h.id = k.host_id
     WHERE k.host_id > ? AND k.decryptable IS NULL AND k.base64_encrypted IS NOT NULL
     ORDER BY k.host_id LIMIT ?`,
    [afterHostId, limit],
  );
}

export async function listArchivedKeys(db: SqlDriver, hostId: number): Promise<ArchivedKey[]> {
  const rows = await db.all<Omit<ArchivedKey, 'decryptable'> & { decryptable: number | null }>(
    `SELECT id, host_id, hardware_serial, base64_encrypted, key_slot, salt, decryptable, escrow_id, reason,
       key_created_at, archived_at FROM host_disk_encryption_keys_archive WHERE host_id = ? ORDER BY id`,
    [hostId],
  );
  return rows.map((r) => ({ ...r, decryptable: r.decryptable === null ? null : r.decryptable !== 0 }));
}

/** Archives and deletes the host's key row (also an error-only row). Returns whether a key existed. */
export async function archiveAndDeleteKey(
  tx: SqlExecutor,
  forUpdate: ForUpdate,
  hostId: number,
  reason: ArchiveReason,
): Promise<boolean> {
  const current = await tx.get<KeyRow>(`${CURRENT_KEY}${forUpdate}`, [hostId]);
  if (!current) return false;
  await archive(tx, hostId, current, reason);
  await tx.run('DELETE FROM host_disk_encryption_keys WHERE host_id = ?', [hostId]);
  return current.base64_encrypted !== null;
}

/** Copies a key to the archive with the host's hardware serial, so it survives re-enrollment. */
async function archive(tx: SqlExecutor, hostId: number, key: KeyRow, reason: ArchiveReason): Promise<void> {
  if (key.base64_encrypted === null) return;
  await tx.run(
    `INSERT INTO host_disk_encryption_keys_archive (host_id, hardware_serial, base64_encrypted, key_slot, salt,
       decryptable, escrow_id, reason, key_created_at, archived_at)
     SELECT ?, hardware_serial, ?, ?, ?, ?, ?, ?, ?, ? FROM hosts WHERE id = ?`,
    [
      hostId,
      key.base64_encrypted,
      key.key_slot,
      key.salt,
      key.decryptable,
      key.escrow_id,
      reason,
      key.created_at,
      now(),
      hostId,
    ],
  );
}
