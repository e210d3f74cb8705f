import type { FastifyInstance } from 'fastify';
import { IdParams } from '../../../ipc/admin/common.js';
import type { ServerContext } from '../context.js';
import { notFound, parseAdmin } from './errors.js';
import { actorOf } from './principal.js';
import { adminRoute } from './route.js';

/**
 * An admin's answer to an enrollment that claimed a known host's hardware UUID without its identity key
 * (issue 18, finding 2): "it is that computer" (a reinstall, a re-imaged laptop). The pending host `:id`
 * is merged into the host it claims to be (storage/sql/host-enrollment.ts), audited on that host.
 */
export function registerMergeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  adminRoute(app, ctx, 'mergePendingHost', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const pending = await ctx.store.getHostView(p.id);
    const merged = pending && (await ctx.store.mergePendingHost(p.id));
    if (!pending || !merged) return notFound(reply, 'pending host');
    const view = await ctx.store.getHostView(merged.hostId);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'merged_pending_host',
      host_id: merged.hostId,
      team_id: view?.host.team_id ?? null,
      details: {
        pending_host_id: p.id,
        host_display_name: view?.host.hostname ?? '',
        hardware_serial: pending.host.hardware_serial,
      },
    });
    ctx.log.info({ host_id: merged.hostId, pending_host_id: p.id }, 'pending host merged by an admin');
    // The merged host's agent holds the pending host's node key: its next check-in gets the known host's config.
    await ctx.waiters.notify([merged.hostId]);
    return { host_id: merged.hostId };
  });
}
