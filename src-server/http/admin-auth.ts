import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../storage/port.js';
import type { ServerContext } from './context.js';
import { digest } from './secrets.js';
import { sendError } from './validate.js';

export interface AdminPrincipal {
  tokenId: number;
  name: string;
  role: Role;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,256})$/;

/**
 * Resolves the Bearer token. 401 without a valid token; 403 when the route needs `admin` and the token is an
 * observer's (observers see hosts, statuses and activities, never a key).
 */
export async function requireRole(
  ctx: ServerContext,
  req: FastifyRequest,
  reply: FastifyReply,
  needed: Role,
): Promise<AdminPrincipal | null> {
  const m = BEARER.exec(req.headers.authorization ?? '');
  const token = m?.[1];
  const found = token ? await ctx.store.findAdminToken(digest(token)) : null;
  if (!found) {
    sendError(reply, 401, 'missing or invalid admin token (Authorization: Bearer <token>)');
    return null;
  }
  if (needed === 'admin' && found.role !== 'admin') {
    sendError(reply, 403, 'this action needs an admin token; observers may not do it');
    return null;
  }
  return { tokenId: found.id, name: found.name, role: found.role };
}

/** How activities name who did something: the token's name, never the token. */
export function actorName(p: AdminPrincipal): string {
  return `${p.name} (token #${p.tokenId})`;
}
