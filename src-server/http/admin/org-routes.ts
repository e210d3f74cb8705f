import type { FastifyInstance } from 'fastify';
import { UpdateOrgRequest } from '../../../ipc/admin/teams.js';
import type { ServerContext } from '../context.js';
import { parseAdmin } from './errors.js';
import { actorOf } from './principal.js';
import { adminRoute } from './route.js';

/** Fleet's `GET/PATCH /config` with `org_info`: the organisation's name and IT contact. */
export function registerOrgRoutes(app: FastifyInstance, ctx: ServerContext): void {
  adminRoute(app, ctx, 'getOrg', () => ({ org_info: ctx.org() }));

  adminRoute(app, ctx, 'updateOrg', async (req, reply, who) => {
    const body = parseAdmin(UpdateOrgRequest, req.body, reply);
    if (!body) return;
    const changes = Object.fromEntries(Object.entries(body.org_info).filter(([, v]) => v !== undefined));
    const next = { ...ctx.org(), ...changes };
    await ctx.setOrg(next);
    await ctx.store.addActivity({ ...actorOf(who), type: 'edited_org_info', details: { changes } });
    return { org_info: next };
  });
}
