import type { EncryptionPolicy, EncryptionPolicyChange, Team } from '../records.js';
import type { SqlDriver } from '../sql-driver.js';
import { hostWhere } from './host-queries.js';
import { refreshStatuses } from './host-views.js';
import { archiveAndDeleteKey, type ForUpdate } from './keys.js';
import {
  NO_POLICY,
  NO_TEAM_SETTING,
  now,
  TEAM_BY_ID,
  TEAM_COLUMNS,
  type TeamRow,
  teamSettings,
  toTeam,
} from './rows.js';

/** Teams, their encryption switch and policy (and "no team"'s), and moving hosts between them. */

export function createTeam(
  db: SqlDriver,
  name: string,
  enabled: boolean,
  policy: EncryptionPolicyChange,
): Promise<Team> {
  const p: EncryptionPolicy = { ...NO_POLICY, rotate_after_reveal: false, ...definedOnly(policy) };
  return db
    .get<TeamRow>(
      `INSERT INTO teams (name, enable_disk_encryption, logout_deadline, max_deferrals, reason_required,
         rotate_after_reveal, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${TEAM_COLUMNS}`,
      [
        name,
        enabled ? 1 : 0,
        p.logout_deadline,
        p.max_deferrals,
        p.reason_required ? 1 : 0,
        p.rotate_after_reveal ? 1 : 0,
        now(),
      ],
    )
    .then((r) => {
      if (!r) throw new Error('insert returned no id');
      return toTeam(r);
    });
}

export async function listTeams(db: SqlDriver): Promise<Team[]> {
  return (await db.all<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams ORDER BY id`)).map(toTeam);
}

export async function getTeam(db: SqlDriver, id: number): Promise<Team | null> {
  const r = await db.get<TeamRow>(TEAM_BY_ID, [id]);
  return r ? toTeam(r) : null;
}

export async function teamHostCounts(db: SqlDriver): Promise<Map<number | null, number>> {
  const rows = await db.all<{ team_id: number | null; n: number }>(
    'SELECT team_id, CAST(COUNT(*) AS INTEGER) AS n FROM hosts GROUP BY team_id',
  );
  return new Map(rows.map((r) => [r.team_id, r.n]));
}

export function setDiskEncryption(
  db: SqlDriver,
  forUpdate: ForUpdate,
  teamId: number | null,
  enabled: boolean,
  policy: EncryptionPolicyChange,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    const next = { ...(await teamSettings(tx, teamId)).policy, ...definedOnly(policy) };
    if (teamId === null) {
      await tx.run(
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        [NO_TEAM_SETTING, JSON.stringify({ enabled, ...next })],
      );
    } else {
      await tx.run(
        `UPDATE teams SET enable_disk_encryption = ?, logout_deadline = ?, max_deferrals = ?, reason_required = ?,
           rotate_after_reveal = ? WHERE id = ?`,
        [
          enabled ? 1 : 0,
          next.logout_deadline,
          next.max_deferrals,
          next.reason_required ? 1 : 0,
          next.rotate_after_reveal ? 1 : 0,
          teamId,
        ],
      );
    }
    const w = hostWhere({ teamId });
    const ids = (await tx.all<{ id: number }>(`SELECT id FROM hosts ${w.sql} ORDER BY id`, w.params)).map(
      (h) => h.id,
    );
    if (!enabled) {
      for (const id of ids) {
        if (await archiveAndDeleteKey(tx, forUpdate, id, 'encryption_disabled')) {
          await tx.run('UPDATE hosts SET removing_enforcement = 1 WHERE id = ?', [id]);
        }
      }
    }
    await refreshStatuses(tx, ids);
    return ids;
  });
}

export function transferHosts(
  db: SqlDriver,
  forUpdate: ForUpdate,
  teamId: number | null,
  hostIds: readonly number[],
): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (teamId !== null && !(await tx.get(TEAM_BY_ID, [teamId]))) throw new Error('team not found');
    const targetEnabled = (await teamSettings(tx, teamId)).enabled;
    const moved: number[] = [];
    for (const id of hostIds) {
      // Moving a host to the team it is in changes nothing (and must not archive its key).
      const r = await tx.run(
        `UPDATE hosts SET team_id = ? WHERE id = ? AND ${teamId === null ? 'team_id IS NOT NULL' : '(team_id IS NULL OR team_id <> ?)'}`,
        teamId === null ? [teamId, id] : [teamId, id, teamId],
      );
      if (r.changes === 0) {
        if (await tx.get('SELECT id FROM hosts WHERE id = ?', [id])) moved.push(id);
        continue;
      }
      moved.push(id);
      if (!targetEnabled && (await archiveAndDeleteKey(tx, forUpdate, id, 'team_changed'))) {
        await tx.run('UPDATE hosts SET removing_enforcement = 1 WHERE id = ?', [id]);
      }
    }
    await refreshStatuses(tx, moved);
    return moved;
  });
}

/** The fields a caller set (undefined = keep the stored value; null = clear it). */
function definedOnly(p: EncryptionPolicyChange): Partial<EncryptionPolicy> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
}
