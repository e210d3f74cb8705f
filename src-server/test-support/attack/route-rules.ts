import type { Role } from '../../../ipc/admin/auth.js';
import { ADMIN_API_BASE } from '../../../ipc/admin/common.js';
import { ADMIN_ROUTES, type AdminRouteName } from '../../../ipc/admin/paths.js';
import { AGENT_API_PATHS, type Platform } from '../../../ipc/agent-server/orbit-api.js';
import { EXPECTED } from '../route-expectations.js';
import { hostIdentity } from '../server.js';

/**
 * Who may use each route: one entry per route the server registers ("METHOD /path", Fastify's pattern).
 * The attack suite's permission matrix reads the server's own route table and fails on a route without an
 * entry here (and on an entry without a route), so a new route cannot ship without saying who may call it.
 * A HEAD route follows its GET.
 *
 * - `enroll_secret`: the agent's enroll call (the secret in the body).
 * - `node_key`: agent calls; the node key in the body says which host is asking.
 * - `admin_api`: the admin API (Bearer token or console session). Which roles may call each endpoint is the
 *   hand-written table of test-support/route-expectations.ts, which http/admin/routes.integration.test.ts
 *   also holds every role × team scope to; here every other kind of credential must get 401.
 * - `web`: pages for people (console shell, sign-in, My devices, linking). They take no Bearer credential
 *   at all, so every credential kind must get the same answer as none.
 */
export type Guard = 'enroll_secret' | 'node_key' | 'admin_api' | 'web';

/** Every kind of credential the matrix tries, each in the place the route takes its credential. */
export const CREDENTIALS = [
  'none',
  'bad_token',
  'enroll_secret',
  'node_key_a',
  'node_key_b',
  'observer_token',
  'helpdesk_token',
  'maintainer_token',
  'admin_token',
] as const;
export type CredentialKind = (typeof CREDENTIALS)[number];

/** The role behind each admin token kind. */
export const TOKEN_ROLE: Partial<Record<CredentialKind, Role>> = {
  observer_token: 'observer',
  helpdesk_token: 'helpdesk',
  maintainer_token: 'maintainer',
  admin_token: 'admin',
};

/** What the examples need from the server under test. */
export interface MatrixWorld {
  /** Two enrolled hosts per platform, A and B (their node keys are the node_key_a/b credentials). */
  hosts: Record<Platform, { a: { id: number; nodeKey: string }; b: { id: number; nodeKey: string } }>;
  /** A good envelope for each of the two Linux hosts (different keys: a write lands on its own host). */
  luksEnvelope: { a: string; b: string };
  bitlockerEnvelope: string;
  filevaultEnvelope: string;
  /** A team (admin API examples that name one). */
  teamId: number;
  /** A fresh name each call. */
  uniqueName(): string;
}

export interface RouteRule {
  guard: Guard;
  /** For node-key routes: whose hosts' keys are node_key_a/b. */
  platform?: Platform;
  /** For admin API routes: the endpoint's name in the contract (its roles are in EXPECTED). */
  name?: AdminRouteName;
  /**
   * The status the right credential gets with the example (web: every credential). Admin API routes have
   * none: an allowed role must get neither 401 nor 403 (the endpoint's own tests check its answers).
   */
  allowed?: number;
  /** A request that succeeds with the right credential (the credential itself is placed by the test). */
  example(w: MatrixWorld, who: 'a' | 'b'): { path: string; body?: Record<string, unknown> };
}

const nodeKeyRoute = (
  path: string,
  platform: Platform,
  allowed: number,
  body: (w: MatrixWorld, who: 'a' | 'b') => Record<string, unknown>,
): RouteRule => ({
  guard: 'node_key',
  platform,
  allowed,
  example: (w, who) => ({ path, body: body(w, who) }),
});

export const ROUTE_RULES: Record<string, RouteRule> = {
  [`POST ${AGENT_API_PATHS.enroll}`]: {
    guard: 'enroll_secret',
    allowed: 200,
    example: () => ({ path: AGENT_API_PATHS.enroll, body: hostIdentity() }),
  },
  [`POST ${AGENT_API_PATHS.config}`]: nodeKeyRoute(AGENT_API_PATHS.config, 'linux', 200, () => ({})),
  [`POST ${AGENT_API_PATHS.diskEncryptionStatus}`]: nodeKeyRoute(
    AGENT_API_PATHS.diskEncryptionStatus,
    'linux',
    204,
    () => ({
      platform: 'linux',
      boot_volume_encrypted: true,
      agent_version: '1.0.0',
    }),
  ),
  [`POST ${AGENT_API_PATHS.luksData}`]: nodeKeyRoute(AGENT_API_PATHS.luksData, 'linux', 204, (w, who) => ({
    key_slot: 1,
    salt: 'c2FsdA==',
    base64_encrypted: w.luksEnvelope[who],
    client_error: '',
  })),
  [`POST ${AGENT_API_PATHS.diskEncryptionKey}`]: nodeKeyRoute(
    AGENT_API_PATHS.diskEncryptionKey,
    'windows',
    204,
    (w) => ({
      base64_encrypted: w.bitlockerEnvelope,
      client_error: '',
    }),
  ),
  [`POST ${AGENT_API_PATHS.filevaultPrk}`]: nodeKeyRoute(
    AGENT_API_PATHS.filevaultPrk,
    'darwin',
    204,
    (w) => ({
      base64_encrypted: w.filevaultEnvelope,
      client_error: '',
    }),
  ),
  [`POST ${AGENT_API_PATHS.linkCode}`]: nodeKeyRoute(AGENT_API_PATHS.linkCode, 'linux', 404, () => ({})),
  ...adminApiRules(),
  ...webRules(),
};

/** The rule of a registered route; a HEAD route follows its GET. */
export function ruleFor(route: { method: string; url: string }): RouteRule | undefined {
  const method = route.method === 'HEAD' ? 'GET' : route.method;
  return ROUTE_RULES[`${method} ${route.url}`];
}

/** One rule per endpoint of the admin contract, each with a harmless example (unknown users and tokens). */
function adminApiRules(): Record<string, RouteRule> {
  return Object.fromEntries(
    (Object.keys(ADMIN_ROUTES) as AdminRouteName[]).map((name) => {
      const { method, path } = ADMIN_ROUTES[name];
      const rule: RouteRule = {
        guard: 'admin_api',
        name,
        example: (w) => {
          const id = path.startsWith('/hosts/')
            ? w.hosts.linux.a.id
            : path.startsWith('/teams/')
              ? w.teamId
              : 999_999;
          const concrete = path.replace(':identifier', 'no-such-host').replace(':id', String(id));
          return {
            path: ADMIN_API_BASE + concrete,
            ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
          };
        },
      };
      return [`${method} ${ADMIN_API_BASE}${path}`, rule];
    }),
  );
}

/** The people-facing pages, on a server without single sign-on set up (as the suite runs it). */
function webRules(): Record<string, RouteRule> {
  const page = (path: string, allowed: number, body?: Record<string, unknown>): RouteRule => ({
    guard: 'web',
    allowed,
    example: () => ({ path, ...(body ? { body } : {}) }),
  });
  return {
    // The console's shell and its assets: public files, the API behind them needs a session.
    'GET /admin': page('/admin', 301),
    'GET /admin/*': page('/admin/', 200),
    // No identity provider configured: sign-in and linking say so (404), never a 5xx.
    'GET /sso/login': page('/sso/login', 404),
    'GET /sso/callback': page('/sso/callback', 404),
    'POST /sso/logout': page('/sso/logout', 303),
    // Break-glass codes come from the server's CLI: the page only asks for a click, the POST checks the
    // code and refuses a missing or made-up one.
    'GET /sso/break-glass': page('/sso/break-glass', 200),
    'POST /sso/break-glass': page('/sso/break-glass', 400, {}),
    'GET /my-device/style.css': page('/my-device/style.css', 200),
    'GET /my-device': page('/my-device', 301),
    'GET /my-device/': page('/my-device/', 404),
    'GET /my-device/hosts/:id': page('/my-device/hosts/1', 404),
    'GET /my-device/hosts/:id/reveal': page('/my-device/hosts/1/reveal', 404),
    'POST /my-device/hosts/:id/reveal': page('/my-device/hosts/1/reveal', 404, {}),
    'GET /link': page('/link?code=none', 404),
    // Without a portal session the form is "expired": open the link from the app again.
    'POST /link': page('/link', 410, {}),
    // For load balancers: public, and they say only ok or which check failed (operations/routes.ts).
    'GET /healthz': page('/healthz', 200),
    'GET /readyz': page('/readyz', 200),
  };
}

/** Whether an admin API endpoint lets this role in (the hand-written table). */
export function roleMayCall(name: AdminRouteName, role: Role): boolean {
  const roles = EXPECTED[name].roles;
  return roles === 'public' || roles.includes(role);
}

/** Sign-in and "is SSO on": endpoints anyone may call. */
export const isPublicEndpoint = (name: AdminRouteName) => EXPECTED[name].roles === 'public';
