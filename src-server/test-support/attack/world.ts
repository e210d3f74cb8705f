import { AGENT_API_PATHS, type Platform } from '../../../ipc/agent-server/orbit-api.js';
import { addAdminToken } from '../../init.js';
import { token } from '../admin.js';
import { type RawAnswer, requestFrom } from '../raw-http.js';
import { BITLOCKER_KEY, enroll, envelopeFor, FILEVAULT_PRK, luksKey, type TestServer } from '../server.js';
import {
  type CredentialKind,
  type Guard,
  isPublicEndpoint,
  type MatrixWorld,
  type RouteRule,
  roleMayCall,
  TOKEN_ROLE,
} from './route-rules.js';

/** A server populated for the attacks: two hosts per platform, a token per role, a team, keys escrowed. */
export interface AttackWorld extends MatrixWorld {
  adminToken: string;
  observerToken: string;
  helpdeskToken: string;
  maintainerToken: string;
  enrollSecret: string;
}

export async function buildWorld(t: TestServer): Promise<AttackWorld> {
  const observerToken = await addAdminToken({ dataDir: t.dataDir, role: 'observer', name: 'observer' });
  const helpdeskToken = (await token(t, 'helpdesk')).token;
  const maintainerToken = (await token(t, 'maintainer')).token;
  const team = await t.post('/api/latest/fleet/teams', { name: 'attack-suite' }, t.init.admin_token);
  const teamId = ((await team.json()) as { team: { id: number } }).team.id;
  await t.post(
    '/api/latest/fleet/disk_encryption',
    { team_id: null, enable_disk_encryption: true },
    t.init.admin_token,
  );
  const pair = async (p: Platform) => {
    const a = await enroll(t, p);
    const b = await enroll(t, p);
    return { a: { id: a.hostId, nodeKey: a.nodeKey }, b: { id: b.hostId, nodeKey: b.nodeKey } };
  };
  const hosts = { linux: await pair('linux'), windows: await pair('windows'), darwin: await pair('darwin') };
  const luksEnvelope = {
    a: await envelopeFor(t, hosts.linux.a.nodeKey, luksKey(1)),
    b: await envelopeFor(t, hosts.linux.b.nodeKey, luksKey(2)),
  };
  const bitlockerEnvelope = await envelopeFor(t, hosts.windows.a.nodeKey, BITLOCKER_KEY);
  const filevaultEnvelope = await envelopeFor(t, hosts.darwin.a.nodeKey, FILEVAULT_PRK);
  // Host A's Linux key is escrowed, so an admin can read it.
  const stored = await t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: hosts.linux.a.nodeKey,
    key_slot: 1,
    salt: 'c2FsdA==',
    base64_encrypted: luksEnvelope.a,
    client_error: '',
  });
  if (stored.status !== 204) throw new Error(`could not escrow host A's key: ${stored.status}`);
  await t.server.keyChecksSettled();
  let n = 0;
  return {
    hosts,
    luksEnvelope,
    bitlockerEnvelope,
    filevaultEnvelope,
    teamId,
    uniqueName: () => `team-${++n}-${Date.now()}`,
    adminToken: t.init.admin_token,
    observerToken,
    helpdeskToken,
    maintainerToken,
    enrollSecret: t.init.enroll_secret,
  };
}

/** The value of a credential kind; node keys are those of the route's platform's hosts. */
export function credential(
  w: AttackWorld,
  kind: CredentialKind,
  platform: Platform = 'linux',
): string | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'bad_token':
      return 'Zm9yZ2VkLXRva2VuLWZvcmdlZC10b2tlbi1mb3JnZWQtdG9r'; // the right shape, known to no one
    case 'enroll_secret':
      return w.enrollSecret;
    case 'node_key_a':
      return w.hosts[platform].a.nodeKey;
    case 'node_key_b':
      return w.hosts[platform].b.nodeKey;
    case 'observer_token':
      return w.observerToken;
    case 'helpdesk_token':
      return w.helpdeskToken;
    case 'maintainer_token':
      return w.maintainerToken;
    case 'admin_token':
      return w.adminToken;
  }
}

/** Where a route takes its credential: the enroll body, the agent body, or the Authorization header. */
const BODY_FIELD: Partial<Record<Guard, string>> = {
  enroll_secret: 'enroll_secret',
  node_key: 'orbit_node_key',
};

/** The route's example request with `kind` in the route's credential slot. */
export function matrixRequest(
  w: AttackWorld,
  route: { method: string; url: string },
  rule: RouteRule,
  kind: CredentialKind,
): { method: string; path: string; headers: Record<string, string>; body?: unknown } {
  const value = credential(w, kind, rule.platform);
  const ex = rule.example(w, kind === 'node_key_b' ? 'b' : 'a');
  const field = BODY_FIELD[rule.guard];
  if (field) {
    const body = { ...ex.body, ...(value === undefined ? {} : { [field]: value }) };
    return { method: route.method, path: ex.path, headers: {}, body };
  }
  return {
    method: route.method,
    path: ex.path,
    headers: value === undefined ? {} : { authorization: `Bearer ${value}` },
    ...(ex.body === undefined ? {} : { body: ex.body }),
  };
}

/** The credentials an agent route takes. */
const AGENT_ALLOWED: Partial<Record<Guard, readonly CredentialKind[]>> = {
  enroll_secret: ['enroll_secret'],
  node_key: ['node_key_a', 'node_key_b'],
};

/**
 * Why an answer breaks the rule, or null when it keeps it. `anonymous` is what the same request got with no
 * credential at all.
 * - agent routes: the right credential gets the rule's status; no credential field at all is a 400 (the
 *   schema requires one); any other value 401.
 * - admin API: an allowed role gets neither 401 nor 403, another role 403, anything else 401; the public
 *   endpoints (sign-in, whether SSO is on) answer every credential as they answer none.
 * - web pages: every credential gets the rule's status (a Bearer header opens nothing there).
 */
export function judge(
  rule: RouteRule,
  kind: CredentialKind,
  status: number,
  anonymous: number,
): string | null {
  const want = (w: number) => (status === w ? null : `want ${w}`);
  switch (rule.guard) {
    case 'web':
      return want(rule.allowed ?? 200);
    case 'admin_api': {
      if (!rule.name) return 'admin rule without a name';
      const role = TOKEN_ROLE[kind];
      if (isPublicEndpoint(rule.name)) return want(anonymous);
      if (!role) return want(401);
      if (!roleMayCall(rule.name, role)) return want(403);
      return status === 401 || status === 403 ? 'want neither 401 nor 403' : null;
    }
    default:
      if (AGENT_ALLOWED[rule.guard]?.includes(kind)) return want(rule.allowed ?? 200);
      return want(kind === 'none' ? 400 : 401);
  }
}

/** Sends one matrix request. */
export function send(url: string, r: ReturnType<typeof matrixRequest>): Promise<RawAnswer> {
  return requestFrom(url, { method: r.method, path: r.path, headers: r.headers, body: r.body });
}
