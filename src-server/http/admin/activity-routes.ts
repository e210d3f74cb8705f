import type { FastifyInstance } from 'fastify';
import { ACTIVITY_CSV_COLUMNS, ActivitiesQuery, ActivityFilterQuery } from '../../../ipc/admin/activity.js';
import { CsvFormatQuery } from '../../../ipc/admin/common.js';
import { describeActivity } from '../../domain/activity-text.js';
import type { Activity, ActivityQuery } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { csvStream } from './csv.js';
import { idCursor, readIdCursor } from './cursor.js';
import { adminError, parseAdmin } from './errors.js';
import type { Principal } from './principal.js';
import { adminRoute, teamFilter } from './route.js';

const EXPORT_BATCH = 1000;

export const activityJson = (a: Activity) => ({ ...a, summary: describeActivity(a) });

function activityFilter(
  q: ReturnType<typeof ActivityFilterQuery.parse>,
  who: Principal,
): Omit<ActivityQuery, 'limit'> {
  return {
    actor: q.actor,
    hostId: q.host_id,
    type: q.type,
    teamId: teamFilter(q.team_id),
    scope: who.teams,
    since: q.since,
    until: q.until,
  };
}

export function registerActivityRoutes(app: FastifyInstance, ctx: ServerContext): void {
  adminRoute(app, ctx, 'listActivities', async (req, reply, who) => {
    const q = parseAdmin(ActivitiesQuery, req.query, reply);
    if (!q) return;
    const beforeId = q.cursor === undefined ? undefined : readIdCursor(q.cursor);
    if (beforeId === null)
      return adminError(reply, 400, 'invalid_request', 'cursor: not one this server gave out');
    const rows = await ctx.store.listActivities({
      ...activityFilter(q, who),
      beforeId,
      afterId: q.after_id,
      limit: q.per_page + 1,
    });
    const hasNext = rows.length > q.per_page;
    const page = rows.slice(0, q.per_page);
    const last = page.at(-1);
    return {
      activities: page.map(activityJson),
      next_cursor: hasNext && last ? idCursor(last.id) : null,
      meta: { has_next_results: hasNext, has_previous_results: beforeId !== undefined },
    };
  });

  adminRoute(app, ctx, 'exportActivities', async (req, reply, who) => {
    const q = parseAdmin(ActivityFilterQuery.extend(CsvFormatQuery.shape), req.query, reply);
    if (!q) return;
    const filter = activityFilter(q, who);
    async function* pages() {
      let beforeId: number | undefined;
      for (;;) {
        const rows = await ctx.store.listActivities({ ...filter, beforeId, limit: EXPORT_BATCH });
        if (rows.length) yield rows;
        const last = rows.at(-1);
        if (rows.length < EXPORT_BATCH || !last) return;
        beforeId = last.id;
      }
    }
    const day = new Date(ctx.clock()).toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="activities-${day}.csv"`)
      .send(
        csvStream(ACTIVITY_CSV_COLUMNS, pages(), (a) => [
          a.id,
          a.created_at,
          a.actor,
          a.actor_kind,
          a.type,
          a.host_id,
          a.team_id,
          describeActivity(a),
          a.details,
        ]),
      );
  });
}
