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

/** host_status_refresh's key: the team id, 0 for "no team" (team ids start at 1). */
const teamKey = (teamId: number | null) => teamId ?? 0;

/**
 * The switch and policy change commits first, with the team queued for a status refresh; `beforeStatusRefresh`
 * (the agents' long-polls are answered there) runs next, and the stored statuses of the team's hosts are
 * re-derived last. The agents' config never depends on the stored status, so they are right at once; the
 * console's figures follow a moment later (decision 0016). A server killed in between finishes the queued
 * refresh when it starts (refreshQueuedStatuses from migrate()).
 */
export async function setDiskEncryption(
  db: SqlDriver,
  forUpdate: ForUpdate,
  teamId: number | null,
  enabled: boolean,
  policy: EncryptionPolicyChange,
  beforeStatusRefresh?: (hostIds: number[]) => Promise<void>,
): Promise<number[]> {
  const ids = await changeDiskEncryption(db, forUpdate, teamId, enabled, policy);
  try {
    await beforeStatusRefresh?.(ids);
  } finally {
    await refreshQueuedStatuses(db);
  }
  return ids;
}

function changeDiskEncryption(
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
    await tx.run(
      `INSERT INTO host_status_refresh (team_key, queued_at) VALUES (?, ?)
       ON CONFLICT (team_key) DO UPDATE SET queued_at = excluded.queued_at`,
      [teamKey(teamId), queuedAt()],
    );
    return ids;
  });
}

/** Unique per call, so a refresh never takes away the mark of a change queued while it ran. */
let queued = 0;
const queuedAt = () => `${now()}#${process.pid}.${++queued}`;

/**
 * Re-derives the stored statuses (and records their changes as host events) of every team queued by a
 * switch or policy change, one transaction per team; the team's mark goes in the same transaction, unless
 * a newer change queued it again meanwhile (that change's own refresh follows).
 */
export async function refreshQueuedStatuses(db: SqlDriver): Promise<void> {
  const marks = await db.all<{ team_key: number; queued_at: string }>(
    'SELECT team_key, queued_at FROM host_status_refresh ORDER BY team_key',
  );
  for (const mark of marks) {
    await db.transaction(async (tx) => {
      const w = hostWhere({ teamId: mark.team_key === 0 ? null : mark.team_key });
      const ids = (await tx.all<{ id: number }>(`SELECT id FROM hosts ${w.sql} ORDER BY id`, w.params)).map(
        (h) => h.id,
      );
      await refreshStatuses(tx, ids);
      await tx.run('DELETE FROM host_status_refresh WHERE team_key = ? AND queued_at = ?', [
        mark.team_key,
        mark.queued_at,
      ]);
    });
  }
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
