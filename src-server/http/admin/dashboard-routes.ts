import type { FastifyInstance } from 'fastify';
import { DashboardQuery, HistoryQuery } from '../../../ipc/admin/activity.js';
import type { StatusFilter } from '../../../ipc/admin/hosts.js';
import { attentionThresholds } from '../../domain/attention.js';
import type { ServerContext } from '../context.js';
import { parseAdmin } from './errors.js';
import { adminRoute, teamFilter } from './route.js';

/** YYYY-MM-DD in UTC, the day of a snapshot. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function registerDashboardRoutes(app: FastifyInstance, ctx: ServerContext): void {
  adminRoute(app, ctx, 'dashboard', async (req, reply, who) => {
    const q = parseAdmin(DashboardQuery, req.query, reply);
    if (!q) return;
    const filter = { teamId: teamFilter(q.team_id), scope: who.teams };
    const counts = await ctx.store.statusCounts(filter);
    const needs_attention = await ctx.store.countAttentionCandidates({
      filter,
      ...attentionThresholds(new Date(ctx.clock())),
    });
    return { counts, total_hosts: counts.reduce((n, c) => n + c.hosts, 0), needs_attention };
  });

  adminRoute(app, ctx, 'dashboardHistory', async (req, reply, who) => {
    const q = parseAdmin(HistoryQuery, req.query, reply);
    if (!q) return;
    const rows = await ctx.store.listDailySnapshots({
      fromDay: utcDay(ctx.clock() - (q.days - 1) * 86_400_000),
      teamId: teamFilter(q.team_id),
      scope: who.teams,
      platform: q.platform,
    });
    const days = new Map<string, Partial<Record<StatusFilter, number>>>();
    for (const r of rows) {
      const day = days.get(r.day) ?? {};
      day[r.status] = (day[r.status] ?? 0) + r.hosts;
      days.set(r.day, day);
    }
    return { days: [...days].map(([day, counts]) => ({ day, counts })) };
  });
}
