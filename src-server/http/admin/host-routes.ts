import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { HostActivitiesQuery } from '../../../ipc/admin/activity.js';
import { CsvFormatQuery, IdParams } from '../../../ipc/admin/common.js';
import {
  HOST_CSV_COLUMNS,
  HostFilterQuery,
  HostIdentifierParams,
  HostListQuery,
  type HostOrderKey,
  NeedsAttentionQuery,
} from '../../../ipc/admin/hosts.js';
import { attentionReasons, attentionThresholds } from '../../domain/attention.js';
import { diskEncryptionStatus } from '../../domain/status.js';
import type { HostFilter, HostView } from '../../storage/records.js';
import { orderValue } from '../../storage/sql/host-queries.js';
import type { ServerContext } from '../context.js';
import { activityJson } from './activity-routes.js';
import { csvStream } from './csv.js';
import { hostCursor, idCursor, readHostCursor, readIdCursor } from './cursor.js';
import { adminError, notFound, parseAdmin } from './errors.js';
import { hostDetails, hostSummary, KEY_KIND, type TeamNames } from './host-json.js';
import type { Principal } from './principal.js';
import { adminRoute, loadHost, teamFilter } from './route.js';

type HostFilterInput = z.infer<typeof HostFilterQuery>;

/** Rows per database read when a whole filtered list is walked (the CSV export). */
const EXPORT_BATCH = 1000;

export async function teamNames(ctx: ServerContext): Promise<TeamNames> {
  return new Map((await ctx.store.listTeams()).map((t) => [t.id, t.name]));
}

function hostFilter(q: HostFilterInput, who: Principal): HostFilter {
  return {
    query: q.query || undefined,
    status: q.status ?? q.os_settings_disk_encryption,
    platform: q.platform,
    teamId: teamFilter(q.team_id),
    scope: who.teams,
  };
}

/** Every host of a filter in order, one keyset page at a time (never the whole list in memory). */
async function* hostPages(
  ctx: ServerContext,
  filter: HostFilter,
  order: { key: HostOrderKey; direction: 'asc' | 'desc' },
) {
  let after: { value: string | number; id: number } | undefined;
  for (;;) {
    const page = await ctx.store.searchHosts({ filter, order, limit: EXPORT_BATCH, after });
    if (page.length) yield page;
    const last = page.at(-1);
    if (page.length < EXPORT_BATCH || !last) return;
    after = { value: orderValue(last, order.key), id: last.host.id };
  }
}

function csvCells(v: HostView, teams: TeamNames): unknown[] {
  const { status, detail } = diskEncryptionStatus(v);
  const h = v.host;
  const row: Record<(typeof HOST_CSV_COLUMNS)[number], unknown> = {
    id: h.id,
    hostname: h.hostname,
    hardware_serial: h.hardware_serial,
    uuid: h.hardware_uuid,
    platform: h.platform,
    os_version: h.os_version,
    team_id: h.team_id,
    team_name: h.team_id === null ? '' : (teams.get(h.team_id) ?? ''),
    logged_in_user: h.logged_in_user,
    disk_encryption_status: status ?? 'unmanaged',
    disk_encryption_detail: detail,
    key_escrowed: Boolean(v.key?.base64_encrypted),
    key_decryptable: v.key?.decryptable ?? null,
    last_enrolled_at: h.enrolled_at,
    seen_time: h.last_seen_at,
  };
  return HOST_CSV_COLUMNS.map((c) => row[c]);
}

export function registerHostRoutes(app: FastifyInstance, ctx: ServerContext): void {
  adminRoute(app, ctx, 'listHosts', async (req, reply, who) => {
    const q = parseAdmin(HostListQuery, req.query, reply);
    if (!q) return;
    const order = { key: q.order_key, direction: q.order_direction };
    const after = q.cursor === undefined ? undefined : readHostCursor(q.cursor, order);
    if (after === null) {
      return adminError(reply, 400, 'invalid_request', 'cursor: not one this server gave out for this order');
    }
    const views = await ctx.store.searchHosts({
      filter: hostFilter(q, who),
      order,
      limit: q.per_page + 1,
      after,
      offset: q.page === undefined ? undefined : q.page * q.per_page,
    });
    const hasNext = views.length > q.per_page;
    const page = views.slice(0, q.per_page);
    const last = page.at(-1);
    const teams = await teamNames(ctx);
    return {
      hosts: page.map((v) => hostSummary(v, teams)),
      next_cursor: hasNext && last ? hostCursor(order, last) : null,
      meta: { has_next_results: hasNext, has_previous_results: after !== undefined || (q.page ?? 0) > 0 },
    };
  });

  adminRoute(app, ctx, 'countHosts', async (req, reply, who) => {
    const q = parseAdmin(HostFilterQuery, req.query, reply);
    if (!q) return;
    return { count: await ctx.store.countHosts(hostFilter(q, who)) };
  });

  adminRoute(app, ctx, 'exportHosts', async (req, reply, who) => {
    const q = parseAdmin(HostFilterQuery.extend(CsvFormatQuery.shape), req.query, reply);
    if (!q) return;
    const teams = await teamNames(ctx);
    const pages = hostPages(ctx, hostFilter(q, who), { key: q.order_key, direction: q.order_direction });
    const day = new Date(ctx.clock()).toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="hosts-${day}.csv"`)
      .send(csvStream(HOST_CSV_COLUMNS, pages, (v) => csvCells(v, teams)));
  });

  adminRoute(app, ctx, 'needsAttention', async (req, reply, who) => {
    const q = parseAdmin(NeedsAttentionQuery, req.query, reply);
    if (!q) return;
    const afterId = q.cursor === undefined ? 0 : readIdCursor(q.cursor);
    if (afterId === null)
      return adminError(reply, 400, 'invalid_request', 'cursor: not one this server gave out');
    const now = new Date(ctx.clock());
    const views = await ctx.store.attentionCandidates(
      { filter: { teamId: teamFilter(q.team_id), scope: who.teams }, ...attentionThresholds(now) },
      q.per_page + 1,
      afterId,
    );
    const hasNext = views.length > q.per_page;
    const page = views.slice(0, q.per_page);
    const teams = await teamNames(ctx);
    const last = page.at(-1);
    return {
      hosts: page.map((v) => ({ host: hostSummary(v, teams), reasons: attentionReasons(v, now) })),
      next_cursor: hasNext && last ? idCursor(last.host.id) : null,
      meta: { has_next_results: hasNext, has_previous_results: afterId > 0 },
    };
  });

  const details = async (v: HostView) =>
    hostDetails(
      v,
      await teamNames(ctx),
      (await ctx.store.listArchivedKeys(v.host.id)).length,
      ctx.rotateKeyAfterRead,
      new Date(ctx.clock()),
    );

  adminRoute(app, ctx, 'hostByIdentifier', async (req, reply, who) => {
    const p = parseAdmin(HostIdentifierParams, req.params, reply);
    if (!p) return;
    const view = await ctx.store.findHostByIdentifier(p.identifier, who.teams);
    if (!view) return notFound(reply, 'host');
    return { host: await details(view) };
  });

  adminRoute(app, ctx, 'getHost', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return;
    return { host: await details(view) };
  });

  adminRoute(app, ctx, 'hostActivities', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    const q = p && parseAdmin(HostActivitiesQuery, req.query, reply);
    if (!p || !q) return;
    if (!(await loadHost(ctx, who, p.id, reply))) return;
    const beforeId = q.cursor === undefined ? undefined : readIdCursor(q.cursor);
    if (beforeId === null)
      return adminError(reply, 400, 'invalid_request', 'cursor: not one this server gave out');
    const rows = await ctx.store.listActivities({ hostId: p.id, beforeId, limit: q.per_page + 1 });
    const hasNext = rows.length > q.per_page;
    const page = rows.slice(0, q.per_page);
    const last = page.at(-1);
    return {
      activities: page.map(activityJson),
      next_cursor: hasNext && last ? idCursor(last.id) : null,
      meta: { has_next_results: hasNext, has_previous_results: beforeId !== undefined },
    };
  });

  adminRoute(app, ctx, 'archivedKeys', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return;
    const archived = await ctx.store.listArchivedKeys(p.id);
    return {
      host_id: p.id,
      archived_keys: archived.map((a) => ({
        id: a.id,
        kind: KEY_KIND[view.host.platform],
        key_slot: a.key_slot,
        hardware_serial: a.hardware_serial,
        reason: a.reason,
        decryptable: a.decryptable,
        created_at: a.key_created_at,
        archived_at: a.archived_at,
      })),
    };
  });
}
