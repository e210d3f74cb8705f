import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, type Role, SESSION_COOKIE, type TeamScope } from '../../../ipc/admin/auth.js';
import type { Subject } from '../../domain/authorization.js';
import type { ActorKind } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { digest } from '../secrets.js';
import { adminError } from './errors.js';

/** Someone signed in (a person with a session) or an API token, with what the rules need. */
export interface Principal extends Subject {
  kind: 'user' | 'api_token';
  id: number;
  /** A person's email, or a token's name. */
  name: string;
  role: Role;
  teams: TeamScope;
  session: { idHash: string; csrfToken: string; idleExpiresAt: string; expiresAt: string } | null;
}

/** How activities name who did something: a person's email, a token's name and id, never a secret. */
export function actorOf(p: Principal): { actor: string; actor_kind: ActorKind } {
  return p.kind === 'user'
    ? { actor: p.name, actor_kind: 'user' }
    : { actor: `${p.name} (token #${p.id})`, actor_kind: 'api_token' };
}

/** The key rate limits and per-principal state go by. */
export const principalKey = (p: Principal) => `${p.kind}:${p.id}`;

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,256})$/;
const SESSION_SECRET = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at / last_used_at are written at most this often, so reads stay reads. */
const TOUCH_EVERY_MS = 60_000;

/** `__Host-` makes browsers refuse the cookie unless Secure, host-only and Path=/ (no subdomain can set it). */
export const cookieName = (secure: boolean) => (secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

export function readCookie(req: FastifyRequest, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/**
 * The CSRF token is derived from the session secret (which only the HttpOnly cookie holds): nothing extra
 * is stored, another page cannot compute it, and the database (which keeps only the secret's digest) does
 * not reveal it either.
 */
export const csrfTokenFor = (sessionSecret: string) => hash('sha256', `csrf\0${sessionSecret}`, 'base64url');

export function csrfMatches(req: FastifyRequest, p: Principal): boolean {
  const sent = req.headers[CSRF_HEADER];
  if (!p.session || typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(p.session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who is calling: a Bearer API token, else the session cookie. Answers 401 with a code (and returns null)
 * when neither is valid; the console goes back to sign-in on any 401.
 */
export async function authenticate(
  ctx: ServerContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<Principal | null> {
  const nowMs = ctx.clock();
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const token = BEARER.exec(auth)?.[1];
    const t = token ? await ctx.store.findAdminToken(digest(token)) : null;
    if (!t) {
      adminError(
        reply,
        401,
        'invalid_token',
        'missing or invalid admin token (Authorization: Bearer <token>)',
      );
      return null;
    }
    if (t.revoked_at !== null) {
      adminError(reply, 401, 'token_revoked', 'this API token was revoked');
      return null;
    }
    if (t.expires_at !== null && Date.parse(t.expires_at) <= nowMs) {
      adminError(reply, 401, 'token_expired', 'this API token has expired');
      return null;
    }
    if (t.last_used_at === null || nowMs - Date.parse(t.last_used_at) > TOUCH_EVERY_MS) {
      await ctx.store.touchAdminToken(t.id, new Date(nowMs).toISOString());
    }
    return { kind: 'api_token', id: t.id, name: t.name, role: t.role, teams: t.teams, session: null };
  }

  const secret = readCookie(req, cookieName(ctx.sessions.secureCookie));
  if (!secret || !SESSION_SECRET.test(secret)) {
    adminError(reply, 401, 'not_signed_in', 'sign in first (or send Authorization: Bearer <API token>)');
    return null;
  }
  const idHash = digest(secret);
  const s = await ctx.store.findSession(idHash);
  if (!s) {
    adminError(reply, 401, 'not_signed_in', 'this session is unknown; sign in again');
    return null;
  }
  if (s.revoked_at !== null) {
    adminError(reply, 401, 'session_revoked', 'this session was ended; sign in again');
    return null;
  }
  const idleEnds = Date.parse(s.last_seen_at) + ctx.sessions.idleMs;
  if (nowMs >= Date.parse(s.expires_at) || nowMs >= idleEnds) {
    adminError(reply, 401, 'session_expired', 'this session has expired; sign in again');
    return null;
  }
  const user = await ctx.store.getUser(s.user_id);
  if (!user || user.disabled) {
    adminError(reply, 401, 'session_revoked', 'this account is no longer active');
    return null;
  }
  let lastSeen = Date.parse(s.last_seen_at);
  if (nowMs - lastSeen > TOUCH_EVERY_MS) {
    lastSeen = nowMs;
    await ctx.store.touchSession(idHash, new Date(nowMs).toISOString());
  }
  return {
    kind: 'user',
    id: user.id,
    name: user.email,
    role: user.role,
    teams: user.teams,
    session: {
      idHash,
      csrfToken: csrfTokenFor(secret),
      idleExpiresAt: new Date(
        Math.min(lastSeen + ctx.sessions.idleMs, Date.parse(s.expires_at)),
      ).toISOString(),
      expiresAt: s.expires_at,
    },
  };
}
