import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ActivitiesQuery,
  CreateTeamRequest,
  DiskEncryptionRequest,
  HostIdParams,
  TeamFilterQuery,
  TransferHostsRequest,
} from '../../ipc/admin/admin-api.js';
import { diskEncryptionStatus, summarize } from '../domain/status.js';
import { openEscrowedKey } from '../escrow/key-check.js';
import type { HostView } from '../storage/port.js';
import { actorName, requireRole } from './admin-auth.js';
import type { ServerContext } from './context.js';
import { sameStoredText } from './stored-text.js';
import { parseOr400, sendError } from './validate.js';

const BASE = '/api/latest/fleet';

/** Fleet puts the disk-encryption status under mdm.os_settings.disk_encryption. */
function hostJson(v: HostView) {
  const { status, detail } = diskEncryptionStatus(v);
  const h = v.host;
  return {
    id: h.id,
    hostname: h.hostname,
    display_name: h.hostname,
    hardware_serial: h.hardware_serial,
    uuid: h.hardware_uuid,
    platform: h.platform,
    os_version: h.os_version,
    team_id: h.team_id,
    last_enrolled_at: h.enrolled_at,
    seen_time: h.last_seen_at,
    disk_encryption_enabled: v.encryption_enabled,
    mdm: { os_settings: { disk_encryption: { status, detail } } },
    disk_encryption_key: v.key
      ? {
          escrowed: v.key.base64_encrypted !== null,
          decryptable: v.key.decryptable,
          key_slot: v.key.key_slot,
          updated_at: v.key.updated_at,
          client_error: v.key.client_error,
        }
      : null,
    reported_status: v.host.reported_status ? (JSON.parse(v.host.reported_status) as unknown) : null,
  };
}

const teamFilter = (teamId: number | undefined) =>
  teamId === undefined ? {} : { teamId: teamId === 0 ? null : teamId };

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Reading keys (current or archived): admins only, a valid host id, and the per-token read limit. */
  const keyReadAllowed = async (req: FastifyRequest, reply: FastifyReply) => {
    const who = await requireRole(ctx, req, reply, 'admin');
    if (!who) return null;
    const p = parseOr400(HostIdParams, req.params, reply);
    if (!p) return null;
    if (!ctx.limits.keyRead.take(`token:${who.tokenId}`)) {
      void reply.header('retry-after', ctx.limits.keyRead.retryAfterSeconds());
      sendError(reply, 429, 'too many key reads with this token; retry later');
      return null;
    }
    return { who, p };
  };

  app.get(`${BASE}/hosts`, async (req, reply) => {
    if (!(await requireRole(ctx, req, reply, 'observer'))) return;
    const q = parseOr400(TeamFilterQuery, req.query, reply);
    if (!q) return;
    const views = await ctx.store.listHostViews(teamFilter(q.team_id));
    return { hosts: views.map(hostJson) };
  });

  app.get(`${BASE}/hosts/:id`, async (req, reply) => {
    if (!(await requireRole(ctx, req, reply, 'observer'))) return;
    const p = parseOr400(HostIdParams, req.params, reply);
    if (!p) return;
    const view = await ctx.store.getHostView(p.id);
    if (!view) return sendError(reply, 404, 'host not found');
    return { host: hostJson(view) };
  });

  app.get(`${BASE}/disk_encryption`, async (req, reply) => {
    if (!(await requireRole(ctx, req, reply, 'observer'))) return;
    const q = parseOr400(TeamFilterQuery, req.query, reply);
    if (!q) return;
    return summarize(await ctx.store.listHostViews(teamFilter(q.team_id)));
  });

  app.post(`${BASE}/disk_encryption`, async (req, reply) => {
    const who = await requireRole(ctx, req, reply, 'admin');
    if (!who) return;
    const body = parseOr400(DiskEncryptionRequest, req.body, reply);
    if (!body) return;
    if (body.team_id !== null && !(await ctx.store.getTeam(body.team_id)))
      return sendError(reply, 404, 'team not found');
    const hostIds = await ctx.store.setDiskEncryption(body.team_id, body.enable_disk_encryption, {
      logout_deadline: body.logout_deadline,
      max_deferrals: body.max_deferrals,
    });
    await ctx.store.addActivity(
      actorName(who),
      body.enable_disk_encryption ? 'enabled_disk_encryption' : 'disabled_disk_encryption',
      { team_id: body.team_id },
    );
    await ctx.waiters.notify(hostIds);
    return reply.code(204).send();
  });

  app.get(`${BASE}/teams`, async (req, reply) => {
    if (!(await requireRole(ctx, req, reply, 'observer'))) return;
    return { teams: await ctx.store.listTeams() };
  });

  app.post(`${BASE}/teams`, async (req, reply) => {
    const who = await requireRole(ctx, req, reply, 'admin');
    if (!who) return;
    const body = parseOr400(CreateTeamRequest, req.body, reply);
    if (!body) return;
    const taken = async () => (await ctx.store.listTeams()).some((t) => sameStoredText(t.name, body.name));
    if (await taken()) return sendError(reply, 409, `a team named "${body.name}" already exists`);
    let team: Awaited<ReturnType<typeof ctx.store.createTeam>>;
    try {
      team = await ctx.store.createTeam(body.name);
    } catch (err) {
      // Created by a concurrent request since we looked: the database's UNIQUE index said no.
      if (await taken()) return sendError(reply, 409, `a team named "${body.name}" already exists`);
      throw err;
    }
    await ctx.store.addActivity(actorName(who), 'created_team', { team_id: team.id, team_name: team.name });
    return { team };
  });

  app.post(`${BASE}/hosts/transfer`, async (req, reply) => {
    const who = await requireRole(ctx, req, reply, 'admin');
    if (!who) return;
    const body = parseOr400(TransferHostsRequest, req.body, reply);
    if (!body) return;
    if (body.team_id !== null && !(await ctx.store.getTeam(body.team_id)))
      return sendError(reply, 404, 'team not found');
    const moved = await ctx.store.transferHosts(body.team_id, body.hosts);
    await ctx.store.addActivity(actorName(who), 'transferred_hosts', {
      team_id: body.team_id,
      host_ids: moved,
    });
    await ctx.waiters.notify(moved);
    return { moved_host_ids: moved };
  });

  app.get(`${BASE}/hosts/:id/encryption_key`, async (req, reply) => {
    const read = await keyReadAllowed(req, reply);
    if (!read) return;
    const { who, p } = read;
    const view = await ctx.store.getHostView(p.id);
    const key = view?.key;
    if (!view || !key?.base64_encrypted || key.decryptable === false) {
      return sendError(reply, 404, 'host has no decryptable disk encryption key');
    }
    const recovered = await openEscrowedKey(key.base64_encrypted, view.host.platform, ctx.escrowKeys().all);
    if (recovered === null) return sendError(reply, 404, 'host has no decryptable disk encryption key');
    await ctx.store.addActivity(actorName(who), 'read_host_disk_encryption_key', {
      host_id: view.host.id,
      host_display_name: view.host.hostname,
    });
    ctx.log.info({ host_id: view.host.id, actor: actorName(who) }, 'disk encryption key read');
    if (ctx.rotateKeyAfterRead) {
      await ctx.store.requestRotation(view.host.id);
      await ctx.waiters.notify([view.host.id]);
    }
    return { host_id: view.host.id, encryption_key: { key: recovered, updated_at: key.updated_at } };
  });

  // Ours: keys replaced, or deleted by re-enroll / team change, are archived, not lost; on the worst day the
  // disk may still be locked with one of them. Same role, rate limit and activity trail as the current key.
  app.get(`${BASE}/hosts/:id/archived_encryption_keys`, async (req, reply) => {
    const read = await keyReadAllowed(req, reply);
    if (!read) return;
    const { who, p } = read;
    const view = await ctx.store.getHostView(p.id);
    if (!view) return sendError(reply, 404, 'host not found');
    const archived = await ctx.store.listArchivedKeys(p.id);
    const keys = ctx.escrowKeys().all;
    const archived_keys = [];
    for (const a of archived) {
      archived_keys.push({
        id: a.id,
        key: await openEscrowedKey(a.base64_encrypted, view.host.platform, keys),
        key_slot: a.key_slot,
        hardware_serial: a.hardware_serial,
        reason: a.reason,
        created_at: a.key_created_at,
        archived_at: a.archived_at,
      });
    }
    await ctx.store.addActivity(actorName(who), 'read_host_archived_disk_encryption_keys', {
      host_id: view.host.id,
      host_display_name: view.host.hostname,
      count: archived_keys.length,
    });
    return { host_id: view.host.id, archived_keys };
  });

  app.post(`${BASE}/hosts/:id/rotate_encryption_key`, async (req, reply) => {
    const who = await requireRole(ctx, req, reply, 'admin');
    if (!who) return;
    const p = parseOr400(HostIdParams, req.params, reply);
    if (!p) return;
    if (!(await ctx.store.requestRotation(p.id))) return sendError(reply, 404, 'host not found');
    await ctx.store.addActivity(actorName(who), 'requested_disk_encryption_key_rotation', { host_id: p.id });
    await ctx.waiters.notify([p.id]);
    return reply.code(204).send();
  });

  app.get(`${BASE}/activities`, async (req, reply) => {
    if (!(await requireRole(ctx, req, reply, 'observer'))) return;
    const q = parseOr400(ActivitiesQuery, req.query, reply);
    if (!q) return;
    const activities = await ctx.store.listActivities({
      limit: q.per_page,
      ...(q.after_id === undefined ? {} : { afterId: q.after_id }),
    });
    return { activities };
  });
}
