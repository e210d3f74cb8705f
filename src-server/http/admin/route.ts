import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_API_BASE } from '../../../ipc/admin/common.js';
import { ADMIN_ROUTES, type AdminRouteName } from '../../../ipc/admin/paths.js';
import { authorize, canSeeTeam, ROUTE_RULES } from '../../domain/authorization.js';
import type { HostView } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { adminError, notFound } from './errors.js';
import { authenticate, csrfMatches, type Principal } from './principal.js';

export type AdminHandler = (req: FastifyRequest, reply: FastifyReply, who: Principal) => unknown;

/**
 * Registers one endpoint of the contract by name: its method and path come from ADMIN_ROUTES and its rule
 * from ROUTE_RULES, so no handler can be reached without authentication, the CSRF check where the rule asks
 * for it, and the role check. Team checks on the host or team it touches are the handler's (loadHost,
 * canSeeTeam), since only it knows which one that is.
 */
export function adminRoute(
  app: FastifyInstance,
  ctx: ServerContext,
  name: AdminRouteName,
  handler: AdminHandler,
) {
  const { method, path } = ADMIN_ROUTES[name];
  const rule = ROUTE_RULES[name];
  if (rule.scope === 'public') throw new Error(`${name} is public; register it with publicRoute`);
  app.route({
    method,
    url: ADMIN_API_BASE + path,
    onSend: serverTiming,
    handler: async (req, reply) => {
      const who = await authenticate(ctx, req, reply);
      if (!who) return;
      // A Bearer token is never sent by a browser on its own; a cookie is, so cookie writes need the token.
      if (rule.changesState && who.session && !csrfMatches(req, who)) {
        return adminError(
          reply,
          403,
          'csrf_token_invalid',
          'missing or wrong X-CSRF-Token; reload and try again',
        );
      }
      if (authorize(rule, who) !== 'allow') {
        const limited = who.teams !== null && rule.scope === 'global';
        return adminError(
          reply,
          403,
          'forbidden',
          limited
            ? 'this needs a principal not limited to teams'
            : `the ${who.role} role may not do this${rule.permission ? ` (needs ${rule.permission})` : ''}`,
        );
      }
      return handler(req, reply, who);
    },
  });
}

/** `Server-Timing: app;dur=…` (ms from request to answer, body not included): the benches read it. */
function serverTiming(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, p: unknown) => void,
) {
  void reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
  done(null, payload);
}

/** An endpoint without credentials (sign-in); its rule must say so. */
export function publicRoute(
  app: FastifyInstance,
  name: AdminRouteName,
  handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
) {
  const { method, path } = ADMIN_ROUTES[name];
  if (ROUTE_RULES[name].scope !== 'public') throw new Error(`${name} needs authentication; use adminRoute`);
  app.route({ method, url: ADMIN_API_BASE + path, handler });
}

/** The host, if it exists and the principal's teams include it; otherwise 404 (never 403: no oracle). */
export async function loadHost(
  ctx: ServerContext,
  who: Principal,
  hostId: number,
  reply: FastifyReply,
): Promise<HostView | null> {
  const view = await ctx.store.getHostView(hostId);
  if (!view || !canSeeTeam(who, view.host.team_id)) {
    notFound(reply, 'host');
    return null;
  }
  return view;
}

/** The filter part that keeps a principal limited to teams inside them. */
export const scopeOf = (who: Principal) => who.teams;

/** A team_id query value (0 = "no team") as the store's filter (null = "no team"). */
export const teamFilter = (teamId: number | undefined) =>
  teamId === undefined ? undefined : teamId === 0 ? null : teamId;
