import type { Activity, ActivityQuery, NewActivity } from '../records.js';
import type { SqlExecutor, SqlValue } from '../sql-driver.js';
import { ACTIVITY_COLUMNS, type ActivityRow, now, placeholders, toActivity } from './rows.js';

/** One table for admin actions and host events (the host page's timeline is a filter on host_id). */

export async function addActivity(q: SqlExecutor, a: NewActivity): Promise<void> {
  await q.run(
    `INSERT INTO activities (created_at, actor, actor_kind, type, host_id, team_id, details)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [now(), a.actor, a.actor_kind, a.type, a.host_id ?? null, a.team_id ?? null, JSON.stringify(a.details)],
  );
}

export async function listActivities(q: SqlExecutor, f: ActivityQuery): Promise<Activity[]> {
  const c: string[] = [];
  const p: SqlValue[] = [];
  const add = (sql: string, v: SqlValue) => {
    c.push(sql);
    p.push(v);
  };
  if (f.actor !== undefined) add('actor = ?', f.actor);
  if (f.hostId !== undefined) add('host_id = ?', f.hostId);
  if (f.type !== undefined) add('type = ?', f.type);
  if (f.teamId === null) c.push('team_id IS NULL');
  else if (f.teamId !== undefined) add('team_id = ?', f.teamId);
  if (f.scope) {
    // A principal limited to teams sees only what happened to those teams' hosts and teams.
    if (f.scope.length === 0) c.push('1 = 0');
    else {
      c.push(`team_id IN (${placeholders(f.scope.length)})`);
      p.push(...f.scope);
    }
  }
  if (f.since !== undefined) add('created_at >= ?', f.since);
  if (f.until !== undefined) add('created_at < ?', f.until);
  if (f.beforeId !== undefined) add('id < ?', f.beforeId);
  if (f.afterId !== undefined) add('id > ?', f.afterId);
  const where = c.length ? `WHERE ${c.join(' AND ')}` : '';
  const rows = await q.all<ActivityRow>(
    `SELECT ${ACTIVITY_COLUMNS} FROM activities ${where} ORDER BY id DESC LIMIT ?`,
    [...p, f.limit],
  );
  return rows.map(toActivity);
}
