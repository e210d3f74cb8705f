import type { Platform } from '../../../ipc/agent-server/orbit-api.js';
import type { Dialect } from '../migrations/index.js';
import type {
  AttentionQuery,
  DailyCount,
  HostFilter,
  HostOrderKey,
  HostPageRequest,
  HostView,
  Scope,
  StatusCount,
} from '../records.js';
import type { SqlDriver, SqlValue } from '../sql-driver.js';
import { viewsOf } from './host-views.js';
import { HOST_COLUMNS, type HostRow, placeholders } from './rows.js';

/**
 * Reads over the whole fleet: the host list, counts, the dashboard. Every one is a single indexed SQL
 * query whose size does not grow with the fleet beyond the page asked for.
 */

/** Order keys of the contract → columns. Every one is NOT NULL and indexed together with id. */
const ORDER_COLUMN: Record<HostOrderKey, string> = {
  id: 'id',
  hostname: 'hostname',
  hardware_serial: 'hardware_serial',
  seen_time: 'last_seen_at',
  last_enrolled_at: 'enrolled_at',
  platform: 'platform',
  status: 'disk_encryption_status',
};

/** The value a keyset cursor records for a host under an order key. */
export function orderValue(v: HostView, key: HostOrderKey): string | number {
  const h = v.host;
  switch (key) {
    case 'id':
      return h.id;
    case 'hostname':
      return h.hostname;
    case 'hardware_serial':
      return h.hardware_serial;
    case 'seen_time':
      return h.last_seen_at;
    case 'last_enrolled_at':
      return h.enrolled_at;
    case 'platform':
      return h.platform;
    case 'status':
      return h.disk_encryption_status;
  }
}

/** LIKE with '!' as the escape character: the user's % and _ are plain characters (the same in both SQLs). */
const escapeLike = (s: string) => s.replace(/[!%_]/g, (c) => `!${c}`);

/** The FTS5 trigram index needs three characters; shorter searches scan (migration 16). */
const TRIGRAM = 3;

interface Where {
  sql: string;
  params: SqlValue[];
}

function scopeCondition(column: string, scope: Scope | undefined, out: Where, conditions: string[]) {
  if (!scope) return;
  if (scope.length === 0) conditions.push('1 = 0');
  else {
    conditions.push(`${column} IN (${placeholders(scope.length)})`);
    out.params.push(...scope);
  }
}

function teamCondition(column: string, teamId: number | null | undefined, out: Where, conditions: string[]) {
  if (teamId === null) conditions.push(`${column} IS NULL`);
  else if (teamId !== undefined) {
    conditions.push(`${column} = ?`);
    out.params.push(teamId);
  }
}

export function hostWhere(
  f: HostFilter,
  extra: string[] = [],
  extraParams: SqlValue[] = [],
  dialect: Dialect = 'postgres',
  /** SQLite: the search matches so many hosts that walking the order index is cheaper than the FTS list. */
  dense = false,
): Where {
  const out: Where = { sql: '', params: [] };
  const c: string[] = [];
  if (f.query) {
    const q = f.query.toLowerCase();
    if (dialect === 'sqlite' && !dense && [...q].length >= TRIGRAM) {
      // A quoted FTS5 phrase: every character is literal; the trigram tokenizer matches substrings.
      c.push('id IN (SELECT rowid FROM hosts_search WHERE hosts_search MATCH ?)');
      out.params.push(`"${q.replaceAll('"', '""')}"`);
    } else {
      // On PostgreSQL the pg_trgm index (when installed) serves this LIKE; on SQLite it is a short search.
      c.push("search_text LIKE ? ESCAPE '!'");
      out.params.push(`%${escapeLike(q)}%`);
    }
  }
  if (f.status) {
    c.push('disk_encryption_status = ?');
    out.params.push(f.status);
  }
  if (f.platform) {
    c.push('platform = ?');
    out.params.push(f.platform);
  }
  teamCondition('team_id', f.teamId, out, c);
  scopeCondition('team_id', f.scope, out, c);
  c.push(...extra);
  out.params.push(...extraParams);
  out.sql = c.length ? `WHERE ${c.join(' AND ')}` : '';
  return out;
}

/**
 * Above this many matches a search is "dense" on SQLite: the FTS index would hand over (and the query
 * sort) tens of thousands of ids, while walking the order's index and testing each row finds a page's
 * worth within a few hundred rows. Counting stops at the threshold, so the test costs little.
 */
const DENSE_MATCHES = 5000;

async function isDense(db: SqlDriver, query: string | undefined): Promise<boolean> {
  if (db.dialect !== 'sqlite' || !query || [...query].length < TRIGRAM) return false;
  const r = await db.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM (SELECT rowid FROM hosts_search WHERE hosts_search MATCH ? LIMIT ${DENSE_MATCHES})`,
    [`"${query.toLowerCase().replaceAll('"', '""')}"`],
  );
  return (r?.n ?? 0) >= DENSE_MATCHES;
}

export async function searchHosts(db: SqlDriver, page: HostPageRequest): Promise<HostView[]> {
  const col = ORDER_COLUMN[page.order.key];
  const dir = page.order.direction === 'desc' ? 'DESC' : 'ASC';
  const extra: string[] = [];
  const extraParams: SqlValue[] = [];
  if (page.after) {
    // Row values compare (col, id) as a pair: the keyset of "after this row" in either direction.
    extra.push(`(${col}, id) ${dir === 'ASC' ? '>' : '<'} (?, ?)`);
    extraParams.push(page.after.value, page.after.id);
  }
  const w = hostWhere(page.filter, extra, extraParams, db.dialect, await isDense(db, page.filter.query));
  const rows = await db.all<HostRow>(
    `SELECT ${HOST_COLUMNS} FROM hosts ${w.sql} ORDER BY ${col} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
    [...w.params, page.limit, page.offset ?? 0],
  );
  return viewsOf(db, rows);
}

export async function countHosts(db: SqlDriver, f: HostFilter): Promise<number> {
  const w = hostWhere(f, [], [], db.dialect);
  const r = await db.get<{ n: number }>(
    `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM hosts ${w.sql}`,
    w.params,
  );
  return r?.n ?? 0;
}

export async function findHostByIdentifier(
  db: SqlDriver,
  identifier: string,
  scope: Scope,
): Promise<HostView | null> {
  for (const column of ['hardware_uuid', 'hardware_serial', 'hostname']) {
    const w = hostWhere({ scope }, [`${column} = ?`], [identifier]);
    const rows = await db.all<HostRow>(
      `SELECT ${HOST_COLUMNS} FROM hosts ${w.sql} ORDER BY id LIMIT 1`,
      w.params,
    );
    if (rows.length) return (await viewsOf(db, rows))[0] ?? null;
  }
  return null;
}

export function statusCounts(db: SqlDriver, f: Pick<HostFilter, 'teamId' | 'scope'>): Promise<StatusCount[]> {
  const w = hostWhere(f);
  return db.all<StatusCount>(
    `SELECT disk_encryption_status AS status, platform, team_id, CAST(COUNT(*) AS INTEGER) AS hosts FROM hosts
     ${w.sql} GROUP BY disk_encryption_status, platform, team_id
     ORDER BY COALESCE(team_id, 0), platform, disk_encryption_status`,
    w.params,
  );
}

function attentionWhere(q: AttentionQuery, afterId = 0): Where {
  return hostWhere(
    q.filter,
    [
      `(disk_encryption_status IN ('action_required', 'failed') OR last_seen_at < ?
        OR (disk_encryption_status = 'enforcing' AND enrolled_at < ?)
        OR (logout_deferrals >= ? AND disk_encryption_status <> 'unmanaged'))`,
      'id > ?',
    ],
    [q.seenBefore, q.enrolledBefore, q.deferralsAtLeast, afterId],
  );
}

export async function attentionCandidates(
  db: SqlDriver,
  q: AttentionQuery,
  limit: number,
  afterId = 0,
): Promise<HostView[]> {
  const w = attentionWhere(q, afterId);
  const rows = await db.all<HostRow>(`SELECT ${HOST_COLUMNS} FROM hosts ${w.sql} ORDER BY id LIMIT ?`, [
    ...w.params,
    limit,
  ]);
  return viewsOf(db, rows);
}

export async function countAttentionCandidates(db: SqlDriver, q: AttentionQuery): Promise<number> {
  const w = attentionWhere(q);
  const r = await db.get<{ n: number }>(
    `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM hosts ${w.sql}`,
    w.params,
  );
  return r?.n ?? 0;
}

export function writeDailySnapshot(db: SqlDriver, day: string): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.run('DELETE FROM host_status_daily WHERE day = ?', [day]);
    await tx.run(
      `INSERT INTO host_status_daily (day, team_key, platform, status, hosts)
       SELECT ?, COALESCE(team_id, 0), platform, disk_encryption_status, COUNT(*) FROM hosts
       GROUP BY COALESCE(team_id, 0), platform, disk_encryption_status`,
      [day],
    );
  });
}

export function listDailySnapshots(
  db: SqlDriver,
  q: {
    fromDay: string;
    teamId?: number | null | undefined;
    scope?: Scope | undefined;
    platform?: Platform | undefined;
  },
): Promise<DailyCount[]> {
  const w: Where = { sql: '', params: [q.fromDay] };
  const c = ['day >= ?'];
  // team_key is 0 for "no team" (migration 15).
  teamCondition('team_key', q.teamId === null ? 0 : q.teamId, w, c);
  scopeCondition('team_key', q.scope, w, c);
  if (q.platform) {
    c.push('platform = ?');
    w.params.push(q.platform);
  }
  return db.all<DailyCount>(
    `SELECT day, status, CAST(SUM(hosts) AS INTEGER) AS hosts FROM host_status_daily WHERE ${c.join(' AND ')}
     GROUP BY day, status ORDER BY day, status`,
    w.params,
  );
}
