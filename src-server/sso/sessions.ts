import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER } from '../../ipc/admin/auth.js';
import { hashPassword } from '../auth/passwords.js';
import { cookieName, csrfTokenFor, readCookie } from '../http/admin/principal.js';
import type { ServerContext } from '../http/context.js';
import { digest, newSecret } from '../http/secrets.js';
import type { PersonRecord, PortalSessionRecord, UserRecord } from '../storage/records.js';
import { FRESH_SIGN_IN_SECONDS, portalCookieName, setCookie } from './context.js';

/** Console and portal sessions made by single sign-on (and break-glass), in the server's own tables. */

const SESSION_SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A console session for the user, exactly as a password sign-in makes one (http/admin/session-routes.ts). */
export async function startConsoleSession(
  ctx: ServerContext,
  req: FastifyRequest,
  reply: FastifyReply,
  user: UserRecord,
): Promise<void> {
  const secret = newSecret();
  const t = ctx.clock();
  await ctx.store.createSession({
    id_hash: digest(secret),
    user_id: user.id,
    created_at: new Date(t).toISOString(),
    last_seen_at: new Date(t).toISOString(),
    expires_at: new Date(t + ctx.sessions.absoluteMs).toISOString(),
    ip: req.ip,
    user_agent: (req.headers['user-agent'] ?? '').slice(0, 256),
  });
  await ctx.store.recordSignIn(user.id, new Date(t).toISOString());
  setCookie(reply, cookieName(ctx.sessions.secureCookie), secret, {
    maxAgeSeconds: Math.floor(ctx.sessions.absoluteMs / 1000),
    secure: ctx.sessions.secureCookie,
    sameSite: 'Strict',
  });
}

/** A password nobody knows, hashed like any other: console accounts made by single sign-on have one. */
export async function unusablePasswordHash(): Promise<string> {
  return hashPassword(randomBytes(32).toString('base64'));
}

export async function startPortalSession(
  ctx: ServerContext,
  reply: FastifyReply,
  person: PersonRecord,
  authTimeSeconds: number | null,
): Promise<void> {
  const secret = newSecret();
  const t = ctx.clock();
  await ctx.store.sso.createPortalSession({
    id_hash: digest(secret),
    person_id: person.id,
    // Unknown (the identity provider did not say): never fresh enough to reveal a key.
    auth_time: new Date(authTimeSeconds === null ? 0 : authTimeSeconds * 1000).toISOString(),
    created_at: new Date(t).toISOString(),
    last_seen_at: new Date(t).toISOString(),
    expires_at: new Date(t + ctx.sessions.absoluteMs).toISOString(),
  });
  setCookie(reply, portalCookieName(ctx.sessions.secureCookie), secret, {
    maxAgeSeconds: Math.floor(ctx.sessions.absoluteMs / 1000),
    secure: ctx.sessions.secureCookie,
    sameSite: 'Strict',
  });
}

export interface PortalVisitor {
  person: PersonRecord;
  session: PortalSessionRecord;
  /** Hidden field of every form; derived from the session's secret like the console's CSRF token. */
  csrf: string;
  /** Authenticated at the identity provider recently enough to be shown a key. */
  fresh: boolean;
  /** Until when `fresh` holds (ms since the epoch). */
  freshUntilMs: number;
}

/** The person signed in to the portal in this browser, or null (no, unknown, ended or expired session). */
export async function portalVisitor(ctx: ServerContext, req: FastifyRequest): Promise<PortalVisitor | null> {
  const secret = readCookie(req, portalCookieName(ctx.sessions.secureCookie));
  if (!secret || !SESSION_SECRET.test(secret)) return null;
  const idHash = digest(secret);
  const s = await ctx.store.sso.findPortalSession(idHash);
  const now = ctx.clock();
  if (!s || s.revoked_at !== null) return null;
  if (now >= Date.parse(s.expires_at) || now >= Date.parse(s.last_seen_at) + ctx.sessions.idleMs) return null;
  const person = await ctx.store.sso.getPerson(s.person_id);
  if (!person) return null;
  if (now - Date.parse(s.last_seen_at) > 60_000) {
    await ctx.store.sso.touchPortalSession(idHash, new Date(now).toISOString());
  }
  const freshUntilMs = Date.parse(s.auth_time) + FRESH_SIGN_IN_SECONDS * 1000;
  return { person, session: s, csrf: csrfTokenFor(secret), fresh: now < freshUntilMs, freshUntilMs };
}

/** The form's CSRF field (or header) matches the session's, and the request comes from this origin. */
export function formCsrfOk(req: FastifyRequest, expected: string, sent: string | undefined): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    const host = req.headers.host;
    try {
      if (new URL(origin).host !== host) return false;
    } catch {
      return false;
    }
  }
  const value = sent ?? (typeof req.headers[CSRF_HEADER] === 'string' ? req.headers[CSRF_HEADER] : '');
  if (typeof value !== 'string') return false;
  const a = Buffer.from(value);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
