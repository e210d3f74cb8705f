import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdParams } from '../../../ipc/admin/common.js';
import {
  RevealArchivedQuery,
  RevealArchivedRequest,
  RevealQuery,
  RevealRequest,
} from '../../../ipc/admin/hosts.js';
import { openEscrowedKey } from '../../escrow/key-check.js';
import type { HostView } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { adminError, notFound, parseAdmin } from './errors.js';
import { KEY_KIND } from './host-json.js';
import { actorOf, type Principal, principalKey } from './principal.js';
import { adminRoute, loadHost } from './route.js';

/**
 * Revealing keys (current and archived) and asking a host for a new one. Every reveal is rate limited per
 * principal, needs a reason unless the host's team says otherwise, and is an activity with that reason.
 */
export function registerKeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** The host, after the per-principal read limit and the team's reason rule; null when answered already. */
  async function revealable(
    req: FastifyRequest,
    reply: FastifyReply,
    who: Principal,
    reason: string | undefined,
  ) {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return null;
    if (!ctx.limits.keyRead.take(principalKey(who))) {
      void reply.header('retry-after', ctx.limits.keyRead.retryAfterSeconds());
      adminError(reply, 429, 'rate_limited', 'too many key reads; retry later');
      return null;
    }
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return null;
    if (view.policy.reason_required && !reason) {
      adminError(
        reply,
        400,
        'reason_required',
        "this host's team requires a reason to reveal a key (?reason=… or a JSON body with reason)",
      );
      return null;
    }
    return view;
  }

  async function requestRotation(view: HostView, who: Principal, reason: string) {
    await ctx.store.requestRotation(view.host.id);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'requested_disk_encryption_key_rotation',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: { host_id: view.host.id, host_display_name: view.host.hostname, reason },
    });
    await ctx.waiters.notify([view.host.id]);
  }

  async function reveal(
    req: FastifyRequest,
    reply: FastifyReply,
    who: Principal,
    input: { reason?: string | undefined; rotate_after?: boolean | undefined },
  ) {
    const view = await revealable(req, reply, who, input.reason);
    if (!view) return;
    const key = view.key;
    if (!key?.base64_encrypted || key.decryptable === false) {
      return adminError(reply, 404, 'not_found', 'host has no decryptable disk encryption key');
    }
    const recovered = await openEscrowedKey(key.base64_encrypted, view.host.platform, ctx.escrowKeys().all);
    if (recovered === null)
      return adminError(reply, 404, 'not_found', 'host has no decryptable disk encryption key');
    // The team's rule wins over the caller's wish; "no team" falls back to --rotate-key-after-read.
    const rotate = (view.policy.rotate_after_reveal ?? ctx.rotateKeyAfterRead) || input.rotate_after === true;
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'read_host_disk_encryption_key',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: {
        host_id: view.host.id,
        host_display_name: view.host.hostname,
        reason: input.reason ?? null,
        rotate_after: rotate,
      },
    });
    ctx.log.info({ host_id: view.host.id, actor: actorOf(who).actor }, 'disk encryption key read');
    if (rotate) await requestRotation(view, who, 'rotate after reveal');
    return {
      host_id: view.host.id,
      encryption_key: { key: recovered, kind: KEY_KIND[view.host.platform], updated_at: key.updated_at },
      rotation_requested: rotate,
    };
  }

  adminRoute(app, ctx, 'revealKey', (req, reply, who) => {
    const q = parseAdmin(RevealQuery, req.query, reply);
    return q && reveal(req, reply, who, q);
  });
  adminRoute(app, ctx, 'revealKeyPost', (req, reply, who) => {
    const b = parseAdmin(RevealRequest, req.body, reply);
    return b && reveal(req, reply, who, b);
  });

  // Ours: keys replaced, or deleted by re-enroll / team change, are archived, not lost; on the worst day the
  // disk may still be locked with one of them. Same rules, limit and audit as the current key.
  async function revealArchived(
    req: FastifyRequest,
    reply: FastifyReply,
    who: Principal,
    input: { reason?: string | undefined; archived_key_id?: number | undefined },
  ) {
    const view = await revealable(req, reply, who, input.reason);
    if (!view) return;
    let archived = await ctx.store.listArchivedKeys(view.host.id);
    if (input.archived_key_id !== undefined) {
      archived = archived.filter((a) => a.id === input.archived_key_id);
      if (archived.length === 0) return notFound(reply, 'archived key');
    }
    const keys = ctx.escrowKeys().all;
    const archived_keys = [];
    for (const a of archived) {
      archived_keys.push({
        id: a.id,
        kind: KEY_KIND[view.host.platform],
        key: await openEscrowedKey(a.base64_encrypted, view.host.platform, keys),
        key_slot: a.key_slot,
        hardware_serial: a.hardware_serial,
        reason: a.reason,
        decryptable: a.decryptable,
        created_at: a.key_created_at,
        archived_at: a.archived_at,
      });
    }
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'read_host_archived_disk_encryption_keys',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: {
        host_id: view.host.id,
        host_display_name: view.host.hostname,
        count: archived_keys.length,
        reason: input.reason ?? null,
        ...(input.archived_key_id === undefined ? {} : { archived_key_id: input.archived_key_id }),
      },
    });
    return { host_id: view.host.id, archived_keys };
  }

  adminRoute(app, ctx, 'revealArchivedKeys', (req, reply, who) => {
    const q = parseAdmin(RevealArchivedQuery, req.query, reply);
    return q && revealArchived(req, reply, who, q);
  });
  adminRoute(app, ctx, 'revealArchivedKeysPost', (req, reply, who) => {
    const b = parseAdmin(RevealArchivedRequest, req.body, reply);
    return b && revealArchived(req, reply, who, b);
  });

  adminRoute(app, ctx, 'rotateKey', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return;
    await requestRotation(view, who, 'requested');
    return reply.code(204).send();
  });
}
