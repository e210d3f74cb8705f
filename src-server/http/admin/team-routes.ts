import type { FastifyInstance, FastifyReply } from 'fastify';
import { TeamFilterQuery } from '../../../ipc/admin/admin-api.js';
import { IdParams } from '../../../ipc/admin/common.js';
import { DISK_ENCRYPTION_STATUSES } from '../../../ipc/admin/hosts.js';
import {
  CreateTeamRequest,
  DiskEncryptionRequest,
  type Policy,
  TransferHostsRequest,
  UpdateTeamRequest,
} from '../../../ipc/admin/teams.js';
import { canSeeTeam } from '../../domain/authorization.js';
import type { StatusSummary } from '../../domain/status.js';
import type { EncryptionPolicy, EncryptionPolicyChange, Team } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { sameStoredText } from '../stored-text.js';
import { adminError, notFound, parseAdmin } from './errors.js';
import { actorOf, type Principal } from './principal.js';
import { adminRoute, teamFilter } from './route.js';

const SUMMARY_PLATFORM = { darwin: 'macos', windows: 'windows', linux: 'linux' } as const;

/** The policy fields of a request; undefined ones keep their value. */
function policyChange(b: {
  logout_deadline?: string | null | undefined;
  max_deferrals?: number | null | undefined;
  reason_required?: boolean | undefined;
  rotate_after_reveal?: boolean | undefined;
}): EncryptionPolicyChange {
  return {
    logout_deadline: b.logout_deadline,
    max_deferrals: b.max_deferrals,
    reason_required: b.reason_required,
    rotate_after_reveal: b.rotate_after_reveal,
  };
}

export function registerTeamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /**
   * The agents of a team whose switch or policy changed hear it first: their held long-polls are answered,
   * and one event-loop turn lets those answers be written before the status refresh takes its time
   * (decision 0016).
   */
  const tellAgents = async (hostIds: number[]) => {
    await ctx.waiters.notify(hostIds);
    await new Promise((resolve) => setImmediate(resolve));
  };

  const policyJson = (enabled: boolean, p: EncryptionPolicy): Policy => ({
    enable_disk_encryption: enabled,
    logout_deadline: p.logout_deadline,
    max_deferrals: p.max_deferrals,
    reason_required: p.reason_required,
    rotate_after_reveal: p.rotate_after_reveal ?? ctx.rotateKeyAfterRead,
  });
  const teamJson = (t: Team, counts: Map<number | null, number>) => ({
    id: t.id,
    name: t.name,
    host_count: counts.get(t.id) ?? 0,
    ...policyJson(t.enable_disk_encryption, t),
  });

  /** The team (null = "no team") if the principal may act on it; 404 otherwise. */
  async function visibleTeam(who: Principal, teamId: number | null, reply: FastifyReply) {
    if (!canSeeTeam(who, teamId)) {
      notFound(reply, 'team');
      return undefined;
    }
    if (teamId === null) return null;
    const team = await ctx.store.getTeam(teamId);
    if (!team) notFound(reply, 'team');
    return team ?? undefined;
  }

  // Fleet's summary shape (counts per status per platform), from the stored statuses: one GROUP BY.
  adminRoute(app, ctx, 'encryptionSummary', async (req, reply, who) => {
    const q = parseAdmin(TeamFilterQuery, req.query, reply);
    if (!q) return;
    const out = Object.fromEntries(
      DISK_ENCRYPTION_STATUSES.map((s) => [s, { macos: 0, windows: 0, linux: 0 }]),
    ) as StatusSummary;
    for (const c of await ctx.store.statusCounts({ teamId: teamFilter(q.team_id), scope: who.teams })) {
      if (c.status !== 'unmanaged') out[c.status][SUMMARY_PLATFORM[c.platform]] += c.hosts;
    }
    return out;
  });

  adminRoute(app, ctx, 'setDiskEncryption', async (req, reply, who) => {
    const body = parseAdmin(DiskEncryptionRequest, req.body, reply);
    if (!body) return;
    if ((await visibleTeam(who, body.team_id, reply)) === undefined) return;
    const change = policyChange(body);
    await ctx.store.setDiskEncryption(body.team_id, body.enable_disk_encryption, change, {
      beforeStatusRefresh: async (hostIds) => {
        await tellAgents(hostIds);
        // Before the hosts' status events, so the log reads cause before effect.
        await ctx.store.addActivity({
          ...actorOf(who),
          type: body.enable_disk_encryption ? 'enabled_disk_encryption' : 'disabled_disk_encryption',
          team_id: body.team_id,
          details: { team_id: body.team_id, ...definedOnly(change) },
        });
      },
    });
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'listTeams', async (_req, _reply, who) => {
    const counts = await ctx.store.teamHostCounts();
    const teams = (await ctx.store.listTeams()).filter((t) => canSeeTeam(who, t.id));
    let no_team = null;
    if (who.teams === null) {
      const nt = await ctx.store.noTeamSettings();
      no_team = { ...policyJson(nt.enabled, nt.policy), host_count: counts.get(null) ?? 0 };
    }
    return { teams: teams.map((t) => teamJson(t, counts)), no_team };
  });

  /** Whether a team already has this name, compared as the database stores names (its UNIQUE index). */
  const nameTaken = async (name: string) =>
    (await ctx.store.listTeams()).some((t) => sameStoredText(t.name, name));
  const nameConflict = (reply: FastifyReply, name: string) =>
    adminError(reply, 409, 'conflict', `a team named "${name}" already exists`);

  adminRoute(app, ctx, 'createTeam', async (req, reply, who) => {
    const body = parseAdmin(CreateTeamRequest, req.body, reply);
    if (!body) return;
    const taken = () => nameTaken(body.name);
    if (await taken()) return nameConflict(reply, body.name);
    let team: Awaited<ReturnType<typeof ctx.store.createTeam>>;
    try {
      team = await ctx.store.createTeam(body.name, body.enable_disk_encryption ?? false, policyChange(body));
    } catch (err) {
      // Created by a concurrent request since we looked: the database's UNIQUE index said no.
      if (await taken()) return nameConflict(reply, body.name);
      throw err;
    }
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'created_team',
      team_id: team.id,
      details: { team_id: team.id, team_name: team.name },
    });
    return { team: teamJson(team, new Map()) };
  });

  adminRoute(app, ctx, 'getTeam', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const team = await visibleTeam(who, p.id, reply);
    if (!team) return;
    return { team: teamJson(team, await ctx.store.teamHostCounts()) };
  });

  adminRoute(app, ctx, 'updateTeam', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    const body = p && parseAdmin(UpdateTeamRequest, req.body, reply);
    if (!p || !body) return;
    const team = await visibleTeam(who, p.id, reply);
    if (!team) return;
    const name = body.name;
    if (name !== undefined && !sameStoredText(name, team.name)) {
      if (await nameTaken(name)) return nameConflict(reply, name);
      try {
        await ctx.store.renameTeam(team.id, name);
      } catch (err) {
        if (await nameTaken(name)) return nameConflict(reply, name);
        throw err;
      }
    }
    const change = definedOnly(policyChange(body));
    if (body.enable_disk_encryption !== undefined || Object.keys(change).length > 0) {
      await ctx.store.setDiskEncryption(
        team.id,
        body.enable_disk_encryption ?? team.enable_disk_encryption,
        change,
        { beforeStatusRefresh: tellAgents },
      );
    }
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'edited_team',
      team_id: team.id,
      details: { team_id: team.id, changes: definedOnly(body) },
    });
    const updated = await ctx.store.getTeam(team.id);
    return { team: teamJson(updated ?? team, await ctx.store.teamHostCounts()) };
  });

  adminRoute(app, ctx, 'transferHosts', async (req, reply, who) => {
    const body = parseAdmin(TransferHostsRequest, req.body, reply);
    if (!body) return;
    const target = await visibleTeam(who, body.team_id, reply);
    if (target === undefined) return;
    let ids = body.hosts;
    if (who.teams !== null) {
      // Hosts outside the principal's teams are skipped exactly like hosts that do not exist.
      const visible: number[] = [];
      for (const id of ids) {
        const v = await ctx.store.getHostView(id);
        if (v && canSeeTeam(who, v.host.team_id)) visible.push(id);
      }
      ids = visible;
    }
    const moved = await ctx.store.transferHosts(body.team_id, ids);
    const actor = actorOf(who);
    await ctx.store.addActivity({
      ...actor,
      type: 'transferred_hosts',
      team_id: body.team_id,
      details: { team_id: body.team_id, host_ids: moved },
    });
    for (const id of moved) {
      const view = await ctx.store.getHostView(id);
      await ctx.store.addActivity({
        ...actor,
        type: 'host_team_changed',
        host_id: id,
        team_id: body.team_id,
        details: {
          host_display_name: view?.host.hostname ?? null,
          to_team_id: body.team_id,
          to_team_name: target?.name ?? null,
        },
      });
    }
    await ctx.waiters.notify(moved);
    return { moved_host_ids: moved };
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
