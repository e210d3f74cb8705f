import type { FastifyInstance, FastifyReply } from 'fastify';
import { CreateApiTokenRequest, CreateUserRequest, UpdateUserRequest } from '../../../ipc/admin/auth.js';
import { IdParams } from '../../../ipc/admin/common.js';
import { hashPassword } from '../../auth/passwords.js';
import type { TokenRecord, UserChange } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { digest, newSecret } from '../secrets.js';
import { adminError, notFound, parseAdmin } from './errors.js';
import { actorOf } from './principal.js';
import { adminRoute } from './route.js';
import { userJson } from './session-routes.js';

const tokenJson = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  teams: t.teams,
  created_at: t.created_at,
  created_by: t.created_by,
  expires_at: t.expires_at,
  revoked_at: t.revoked_at,
  last_used_at: t.last_used_at,
});

/** People and API tokens (admins not limited to teams; see domain/authorization.ts). */
export function registerPeopleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Team scopes may name only teams that exist. */
  async function teamsExist(teams: number[] | null | undefined, reply: FastifyReply): Promise<boolean> {
    if (!teams) return true;
    const known = new Set((await ctx.store.listTeams()).map((t) => t.id));
    const missing = teams.filter((t) => !known.has(t));
    if (missing.length === 0) return true;
    adminError(reply, 400, 'invalid_request', `teams: no team with id ${missing.join(', ')}`);
    return false;
  }

  adminRoute(app, ctx, 'listUsers', async () => ({ users: (await ctx.store.listUsers()).map(userJson) }));

  adminRoute(app, ctx, 'createUser', async (req, reply, who) => {
    const body = parseAdmin(CreateUserRequest, req.body, reply);
    if (!body || !(await teamsExist(body.teams, reply))) return;
    const user = await ctx.store.createUser({
      email: body.email,
      name: body.name,
      role: body.role,
      teams: body.teams,
      password_hash: await hashPassword(body.password),
    });
    if (!user) return adminError(reply, 409, 'conflict', `a user with email ${body.email} already exists`);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'created_user',
      details: { user_id: user.id, email: user.email, role: user.role, teams: user.teams },
    });
    return { user: userJson(user) };
  });

  adminRoute(app, ctx, 'getUser', async (req, reply) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const user = await ctx.store.getUser(p.id);
    return user ? { user: userJson(user) } : notFound(reply, 'user');
  });

  adminRoute(app, ctx, 'updateUser', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    const body = p && parseAdmin(UpdateUserRequest, req.body, reply);
    if (!p || !body || !(await teamsExist(body.teams, reply))) return;
    const user = await ctx.store.getUser(p.id);
    if (!user) return notFound(reply, 'user');
    // Nobody locks themselves out by accident; another admin can still do it.
    const self = who.kind === 'user' && who.id === user.id;
    if (self && (body.disabled || (body.role && body.role !== 'admin') || body.teams)) {
      return adminError(reply, 409, 'conflict', 'you cannot disable, demote or limit your own account');
    }
    const change: UserChange = {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.role === undefined ? {} : { role: body.role }),
      ...(body.teams === undefined ? {} : { teams: body.teams }),
      ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
      ...(body.password === undefined ? {} : { password_hash: await hashPassword(body.password) }),
    };
    const updated = await ctx.store.updateUser(user.id, change);
    if (body.disabled || body.password !== undefined) {
      await ctx.store.revokeUserSessions(user.id, body.disabled ? 'user disabled' : 'password reset');
    }
    const { password: _password, ...rest } = body;
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'edited_user',
      details: {
        user_id: user.id,
        email: user.email,
        changes: { ...rest, ...(body.password === undefined ? {} : { password: true }) },
      },
    });
    return { user: userJson(updated ?? user) };
  });

  adminRoute(app, ctx, 'deleteUser', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    if (who.kind === 'user' && who.id === p.id) {
      return adminError(reply, 409, 'conflict', 'you cannot delete your own account');
    }
    const user = await ctx.store.getUser(p.id);
    if (!user || !(await ctx.store.deleteUser(p.id))) return notFound(reply, 'user');
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'deleted_user',
      details: { user_id: user.id, email: user.email },
    });
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'revokeUserSessions', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const user = await ctx.store.getUser(p.id);
    if (!user) return notFound(reply, 'user');
    const ended = await ctx.store.revokeUserSessions(user.id, `ended by ${actorOf(who).actor}`);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'revoked_user_sessions',
      details: { user_id: user.id, email: user.email, sessions: ended },
    });
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'listApiTokens', async () => ({
    api_tokens: (await ctx.store.listAdminTokens()).map(tokenJson),
  }));

  adminRoute(app, ctx, 'createApiToken', async (req, reply, who) => {
    const body = parseAdmin(CreateApiTokenRequest, req.body, reply);
    if (!body || !(await teamsExist(body.teams, reply))) return;
    const token = newSecret();
    const expires_at =
      body.expires_in_days === null
        ? null
        : new Date(ctx.clock() + body.expires_in_days * 86_400_000).toISOString();
    const id = await ctx.store.addAdminToken(digest(token), {
      role: body.role,
      name: body.name,
      teams: body.teams,
      expires_at,
      created_by: actorOf(who).actor,
    });
    const created = (await ctx.store.listAdminTokens()).find((t) => t.id === id);
    if (!created) throw new Error('token vanished after insert');
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'created_api_token',
      details: { token_id: id, name: body.name, role: body.role, teams: body.teams, expires_at },
    });
    return { api_token: tokenJson(created), token };
  });

  adminRoute(app, ctx, 'revokeApiToken', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const token = (await ctx.store.listAdminTokens()).find((t) => t.id === p.id);
    if (!token) return notFound(reply, 'API token');
    await ctx.store.revokeAdminToken(p.id);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'revoked_api_token',
      details: { token_id: token.id, name: token.name },
    });
    return reply.code(204).send();
  });
}
