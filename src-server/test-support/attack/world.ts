import { AGENT_API_PATHS, type Platform } from '../../../ipc/agent-server/orbit-api.js';
import { addAdminToken } from '../../init.js';
import { type RawAnswer, requestFrom } from '../raw-http.js';
import { BITLOCKER_KEY, enroll, envelopeFor, FILEVAULT_PRK, luksKey, type TestServer } from '../server.js';
import { ALLOWED, type CredentialKind, type Guard, type MatrixWorld, type RouteRule } from './route-rules.js';

/** A server populated for the attacks: two hosts per platform, an observer token, keys escrowed. */
export interface AttackWorld extends MatrixWorld {
  adminToken: string;
  observerToken: string;
  enrollSecret: string;
}

export async function buildWorld(t: TestServer): Promise<AttackWorld> {
  const observerToken = await addAdminToken({ dataDir: t.dataDir, role: 'observer', name: 'helpdesk' });
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
    uniqueName: () => `team-${++n}-${Date.now()}`,
    adminToken: t.init.admin_token,
    observerToken,
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

/**
 * What a credential must get: the rule's status when it is allowed; otherwise 401 (403 for an observer on
 * an admin route, 400 when an agent call has no credential field at all, as its schema requires one).
 */
export function expectedStatus(rule: RouteRule, kind: CredentialKind): number {
  if (ALLOWED[rule.guard].includes(kind)) return rule.allowed;
  if (kind === 'none' && BODY_FIELD[rule.guard]) return 400;
  if (kind === 'observer_token' && rule.guard === 'admin') return 403;
  return 401;
}

/** Sends one matrix request. */
export function send(url: string, r: ReturnType<typeof matrixRequest>): Promise<RawAnswer> {
  return requestFrom(url, { method: r.method, path: r.path, headers: r.headers, body: r.body });
}
