import { AGENT_API_PATHS, type Platform } from '../../../ipc/agent-server/orbit-api.js';
import { hostIdentity } from '../server.js';

/**
 * Who may use each route: one entry per route the server registers ("METHOD /path", Fastify's pattern).
 * The attack suite's permission matrix reads the server's own route table and fails on a route without an
 * entry here (and on an entry without a route), so a new route cannot ship without saying who may call it.
 * A HEAD route follows its GET.
 *
 * - `enroll_secret`: the agent's enroll call (the secret in the body).
 * - `node_key`: agent calls; the node key in the body says which host is asking.
 * - `observer`: admin API, read-only (an observer or admin Bearer token).
 * - `admin`: admin API, changes and key reads (admin token only).
 */
export type Guard = 'enroll_secret' | 'node_key' | 'observer' | 'admin';

/** Every kind of credential the matrix tries, each in the place the route takes its credential. */
export const CREDENTIALS = [
  'none',
  'bad_token',
  'enroll_secret',
  'node_key_a',
  'node_key_b',
  'observer_token',
  'admin_token',
] as const;
export type CredentialKind = (typeof CREDENTIALS)[number];

export const ALLOWED: Record<Guard, readonly CredentialKind[]> = {
  enroll_secret: ['enroll_secret'],
  node_key: ['node_key_a', 'node_key_b'],
  observer: ['observer_token', 'admin_token'],
  admin: ['admin_token'],
};

/** What the examples need from the server under test. */
export interface MatrixWorld {
  /** Two enrolled hosts per platform, A and B (their node keys are the node_key_a/b credentials). */
  hosts: Record<Platform, { a: { id: number; nodeKey: string }; b: { id: number; nodeKey: string } }>;
  /** A good envelope for each of the two Linux hosts (different keys: a write lands on its own host). */
  luksEnvelope: { a: string; b: string };
  bitlockerEnvelope: string;
  filevaultEnvelope: string;
  /** A fresh name each call. */
  uniqueName(): string;
}

export interface RouteRule {
  guard: Guard;
  /** For node-key routes: whose hosts' keys are node_key_a/b. */
  platform?: Platform;
  /** The status the right credential gets with the example. */
  allowed: number;
  /** A request that succeeds with the right credential (the credential itself is placed by the test). */
  example(w: MatrixWorld, who: 'a' | 'b'): { path: string; body?: Record<string, unknown> };
}

const A = '/api/latest/fleet';
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
  [`GET ${A}/hosts`]: { guard: 'observer', allowed: 200, example: () => ({ path: `${A}/hosts` }) },
  [`GET ${A}/hosts/:id`]: {
    guard: 'observer',
    allowed: 200,
    example: (w) => ({ path: `${A}/hosts/${w.hosts.linux.a.id}` }),
  },
  [`GET ${A}/disk_encryption`]: {
    guard: 'observer',
    allowed: 200,
    example: () => ({ path: `${A}/disk_encryption` }),
  },
  [`POST ${A}/disk_encryption`]: {
    guard: 'admin',
    allowed: 204,
    example: () => ({ path: `${A}/disk_encryption`, body: { team_id: null, enable_disk_encryption: true } }),
  },
  [`GET ${A}/teams`]: { guard: 'observer', allowed: 200, example: () => ({ path: `${A}/teams` }) },
  [`POST ${A}/teams`]: {
    guard: 'admin',
    allowed: 200,
    example: (w) => ({ path: `${A}/teams`, body: { name: w.uniqueName() } }),
  },
  [`POST ${A}/hosts/transfer`]: {
    guard: 'admin',
    allowed: 200,
    example: (w) => ({ path: `${A}/hosts/transfer`, body: { team_id: null, hosts: [w.hosts.linux.b.id] } }),
  },
  [`GET ${A}/hosts/:id/encryption_key`]: {
    guard: 'admin',
    allowed: 200,
    example: (w) => ({ path: `${A}/hosts/${w.hosts.linux.a.id}/encryption_key` }),
  },
  [`GET ${A}/hosts/:id/archived_encryption_keys`]: {
    guard: 'admin',
    allowed: 200,
    example: (w) => ({ path: `${A}/hosts/${w.hosts.linux.a.id}/archived_encryption_keys` }),
  },
  [`POST ${A}/hosts/:id/rotate_encryption_key`]: {
    guard: 'admin',
    allowed: 204,
    example: (w) => ({ path: `${A}/hosts/${w.hosts.linux.b.id}/rotate_encryption_key`, body: {} }),
  },
  [`GET ${A}/activities`]: { guard: 'observer', allowed: 200, example: () => ({ path: `${A}/activities` }) },
};

/** The rule of a registered route; a HEAD route follows its GET. */
export function ruleFor(route: { method: string; url: string }): RouteRule | undefined {
  const method = route.method === 'HEAD' ? 'GET' : route.method;
  return ROUTE_RULES[`${method} ${route.url}`];
}
