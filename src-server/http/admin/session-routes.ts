import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChangePasswordRequest, type MeResponse, SignInRequest } from '../../../ipc/admin/auth.js';
import { dummyHash, hashPassword, verifyPassword } from '../../auth/passwords.js';
import { permissionsOf } from '../../domain/authorization.js';
import type { UserRecord } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { digest, newSecret } from '../secrets.js';
import { adminError, parseAdmin } from './errors.js';
import { actorOf, cookieName, csrfTokenFor, type Principal } from './principal.js';
import { adminRoute, publicRoute } from './route.js';

/** A person as the API shows them: never the password hash. */
export const userJson = (u: UserRecord) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  teams: u.teams,
  disabled: u.disabled,
  created_at: u.created_at,
  updated_at: u.updated_at,
  last_sign_in_at: u.last_sign_in_at,
});

export function registerSessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const name = cookieName(ctx.sessions.secureCookie);
  const secure = ctx.sessions.secureCookie ? '; Secure' : '';
  const setCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.header(
      'set-cookie',
      `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`,
    );

  /** A new session for the user: cookie set, answer with who they are and the CSRF token. */
  async function startSession(
    req: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
  ): Promise<MeResponse> {
    const secret = newSecret();
    const t = ctx.clock();
    const expiresAt = new Date(t + ctx.sessions.absoluteMs).toISOString();
    await ctx.store.createSession({
      id_hash: digest(secret),
      user_id: user.id,
      created_at: new Date(t).toISOString(),
      last_seen_at: new Date(t).toISOString(),
      expires_at: expiresAt,
      ip: req.ip,
      user_agent: (req.headers['user-agent'] ?? '').slice(0, 256),
    });
    setCookie(reply, secret, Math.floor(ctx.sessions.absoluteMs / 1000));
    return {
      user: userJson(user),
      api_token: null,
      role: user.role,
      teams: user.teams,
      permissions: [...permissionsOf(user.role)],
      csrf_token: csrfTokenFor(secret),
      session: { idle_expires_at: new Date(t + ctx.sessions.idleMs).toISOString(), expires_at: expiresAt },
    };
  }

  publicRoute(app, 'signIn', async (req, reply) => {
    const body = parseAdmin(SignInRequest, req.body, reply);
    if (!body) return;
    // Both limits hold for unknown emails too, so they tell nothing about which accounts exist.
    if (
      !ctx.limits.signInAddress.take(`ip:${req.ip}`) ||
      !ctx.limits.signInAccount.take(`email:${body.email}`)
    ) {
      void reply.header('retry-after', ctx.limits.signInAccount.retryAfterSeconds());
      return adminError(reply, 429, 'rate_limited', 'too many sign-in attempts; wait a minute and try again');
    }
    const user = await ctx.store.findUserByEmail(body.email);
    // An unknown email costs one scrypt like a known one: same answer, similar time.
    const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash()));
    if (!user || !ok || user.disabled) {
      ctx.log.warn({ ip: req.ip }, 'sign-in refused');
      return adminError(reply, 401, 'bad_credentials', 'wrong email or password');
    }
    const me = await startSession(req, reply, user);
    const at = new Date(ctx.clock()).toISOString();
    await ctx.store.recordSignIn(user.id, at);
    await ctx.store.addActivity({
      actor: user.email,
      actor_kind: 'user',
      type: 'signed_in',
      details: { ip: req.ip },
    });
    return { ...me, user: userJson({ ...user, last_sign_in_at: at }) };
  });

  const sessionOnly = (who: Principal, reply: FastifyReply) => {
    if (who.session) return who.session;
    adminError(reply, 400, 'invalid_request', 'API tokens have no session; revoke the token instead');
    return null;
  };

  adminRoute(app, ctx, 'signOut', async (_req, reply, who) => {
    const session = sessionOnly(who, reply);
    if (!session) return;
    await ctx.store.revokeSession(session.idHash, 'signed out');
    await ctx.store.addActivity({ ...actorOf(who), type: 'signed_out', details: {} });
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'signOutEverywhere', async (_req, reply, who) => {
    if (!sessionOnly(who, reply)) return;
    const ended = await ctx.store.revokeUserSessions(who.id, 'signed out everywhere');
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'signed_out_everywhere',
      details: { sessions: ended },
    });
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'me', async (_req, _reply, who): Promise<MeResponse> => {
    const user = who.kind === 'user' ? await ctx.store.getUser(who.id) : null;
    return {
      user: user ? userJson(user) : null,
      api_token: who.kind === 'api_token' ? { id: who.id, name: who.name } : null,
      role: who.role,
      teams: who.teams,
      permissions: [...permissionsOf(who.role)],
      csrf_token: who.session?.csrfToken ?? null,
      session: who.session
        ? { idle_expires_at: who.session.idleExpiresAt, expires_at: who.session.expiresAt }
        : null,
    };
  });

  // A new password ends every session of the person (a thief's too) and starts a fresh one here.
  adminRoute(app, ctx, 'changePassword', async (req, reply, who) => {
    const body = parseAdmin(ChangePasswordRequest, req.body, reply);
    if (!body || !sessionOnly(who, reply)) return;
    const user = await ctx.store.getUser(who.id);
    if (!user || !(await verifyPassword(body.current_password, user.password_hash))) {
      return adminError(reply, 403, 'forbidden', 'the current password is wrong');
    }
    const updated = await ctx.store.updateUser(user.id, {
      password_hash: await hashPassword(body.new_password),
    });
    await ctx.store.revokeUserSessions(user.id, 'password changed');
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'edited_user',
      details: { user_id: user.id, email: user.email, changes: { password: true } },
    });
    return startSession(req, reply, updated ?? user);
  });
}
