import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiter } from '../http/rate-limit.js';
import type { OidcClient } from './oidc.js';
import type { RoleMapEntry } from './role-map.js';

/** `--oidc-*` and friends, as startServer takes them. */
export interface SsoOptions {
  /** The identity provider's issuer URL (discovery at ISSUER/.well-known/openid-configuration). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** GROUP=ROLE[@TEAM+TEAM], see role-map.ts. Empty: nobody gets the console through single sign-on. */
  roleMap: RoleMapEntry[];
  /** The claim holding the person's groups (ID token or userinfo); default `groups`. */
  groupsClaim?: string;
  /** Scopes asked for besides `openid`; default `email profile`. */
  scopes?: string;
}

/** What the single sign-on, link and portal routes share (ServerContext.selfService). */
export interface SelfServiceContext {
  /** null when single sign-on is not configured: the portal and the link page say so. */
  oidc: OidcClient | null;
  options: SsoOptions | null;
  passwordLoginDisabled: boolean;
  /** The URL people and the identity provider reach this server at (redirect URI = this + /sso/callback). */
  publicUrl(): string;
  limits: {
    /** Link codes per host. */
    linkCode: RateLimiter;
    /** Portal reveal attempts per person (the daily count is the team's policy; this stops floods). */
    reveal: RateLimiter;
    /** Sign-in starts per address (each makes a row). */
    signInStart: RateLimiter;
  };
}

export function selfServiceLimits(): SelfServiceContext['limits'] {
  return {
    linkCode: new RateLimiter({ burst: 5, perSecond: 1 / 60 }),
    reveal: new RateLimiter({ burst: 5, perSecond: 1 / 60 }),
    signInStart: new RateLimiter({ burst: 30, perSecond: 1 }),
  };
}

export const CALLBACK_PATH = '/sso/callback';
export const LOGIN_PATH = '/sso/login';
/** How long a started sign-in may take at the identity provider. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** A reveal needs an authentication at the identity provider at most this long ago (seconds). */
export const FRESH_SIGN_IN_SECONDS = 600;

/** Cookie names: `__Host-` (Secure, host-only, Path=/) whenever the server speaks TLS. */
export const portalCookieName = (secure: boolean) => (secure ? '__Host-escrow_portal' : 'escrow_portal');
export const loginCookieName = (secure: boolean) => (secure ? '__Host-escrow_sso' : 'escrow_sso');

export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  opts: { maxAgeSeconds: number; secure: boolean; sameSite: 'Strict' | 'Lax' },
): void {
  const cookie = `${name}=${value}; Path=/; HttpOnly; SameSite=${opts.sameSite}; Max-Age=${opts.maxAgeSeconds}${
    opts.secure ? '; Secure' : ''
  }`;
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  void reply.header('set-cookie', [...list, cookie]);
}

/** A path on this server to come back to after sign-in; anything else becomes the portal's home. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/my-device/';
  if (!/^\/(my-device\/|link\?|link$|admin\/|admin$)/.test(value)) return '/my-device/';
  if (value.includes('\\') || value.startsWith('//') || /[\s\0]/.test(value)) return '/my-device/';
  return value;
}

/** Form bodies (the pages post `application/x-www-form-urlencoded`) as a flat record of strings. */
export function formBody(req: FastifyRequest): Record<string, string> {
  const b = req.body;
  if (!b || typeof b !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}
