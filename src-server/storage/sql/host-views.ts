import { diskEncryptionStatus } from '../../domain/status.js';
import type { HostView, StatusFilter } from '../records.js';
import type { SqlExecutor } from '../sql-driver.js';
import {
  allTeamSettings,
  HOST_COLUMNS,
  type HostRow,
  inChunks,
  KEY_COLUMNS,
  type KeyViewRow,
  NO_SETTINGS,
  now,
  placeholders,
  type TeamSettings,
  toHost,
  toKey,
} from './rows.js';

/** Views of many hosts: their keys read with IN lists, every team's settings read once. */
export async function viewsOf(
  q: SqlExecutor,
  rows: readonly HostRow[],
  settings?: Map<number | null, TeamSettings>,
): Promise<HostView[]> {
  if (rows.length === 0) return [];
  const teams = settings ?? (await allTeamSettings(q));
  const keyRows = await inChunks(
    rows.map((r) => r.id),
    (ids) =>
      q.all<KeyViewRow>(
        `SELECT ${KEY_COLUMNS} FROM host_disk_encryption_keys WHERE host_id IN (${placeholders(ids.length)})`,
        ids,
      ),
  );
  const keys = new Map(keyRows.map((k) => [k.host_id, toKey(k)]));
  return rows.map((h) => {
    const team = teams.get(h.team_id) ?? NO_SETTINGS;
    return {
      host: toHost(h),
      key: keys.get(h.id) ?? null,
      encryption_enabled: team.enabled,
      policy: team.policy,
    };
  });
}

/** The status column's value for a view ('unmanaged' for hosts whose team does not manage encryption). */
export const statusOf = (v: HostView): StatusFilter => diskEncryptionStatus(v).status ?? 'unmanaged';

/**
 * Re-derives the stored status of these hosts after a write (inside its transaction) and records each
 * change as a host event, so the timeline shows "asked to escrow", "verified", "failed" and why.
 * `quiet` (the backfill after migration 10) writes statuses without events: their history is unknown.
 */
export async function refreshStatuses(
  tx: SqlExecutor,
  hostIds: readonly number[],
  opts: { quiet?: boolean } = {},
): Promise<void> {
  if (hostIds.length === 0) return;
  const settings = await allTeamSettings(tx);
  const at = now();
  await inChunks(hostIds, async (ids) => {
    const rows = await tx.all<HostRow>(
      `SELECT ${HOST_COLUMNS} FROM hosts WHERE id IN (${placeholders(ids.length)})`,
      ids,
    );
    // One UPDATE per new status and one INSERT for the events, per slice: turning encryption on for a team
    // of 10,000 hosts is an admin's click, and the long-polls of all those hosts wait for it to commit.
    const byStatus = new Map<string, number[]>();
    const events: (string | number | null)[] = [];
    for (const view of await viewsOf(tx, rows, settings)) {
      const before: string = view.host.disk_encryption_status;
      const result = diskEncryptionStatus(view);
      const after = result.status ?? 'unmanaged';
      if (after === before) continue;
      const same = byStatus.get(after);
      if (same) same.push(view.host.id);
      else byStatus.set(after, [view.host.id]);
      // A new host's first status is news only when it asks for something (not "unmanaged").
      if (opts.quiet || (before === 'pending' && after === 'unmanaged')) continue;
      const details = {
        host_display_name: view.host.hostname,
        from: before === 'pending' ? null : before,
        to: after,
        detail: result.detail,
      };
      events.push(at, view.host.id, view.host.team_id, JSON.stringify(details));
    }
    for (const [status, changed] of byStatus) {
      await tx.run(
        `UPDATE hosts SET disk_encryption_status = ? WHERE id IN (${placeholders(changed.length)})`,
        [status, ...changed],
      );
    }
    if (events.length) {
      await tx.run(
        `INSERT INTO activities (created_at, actor, actor_kind, type, host_id, team_id, details) VALUES ${new Array(
          events.length / 4,
        )
          .fill("(?, 'system', 'system', 'disk_encryption_status_changed', ?, ?, ?)")
          .join(', ')}`,
        events,
      );
    }
    return [];
  });
}
