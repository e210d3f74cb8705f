import { type KeyObject, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AGENT_API_PATHS, type ConfigResponse, type Platform } from '../../ipc/agent-server/orbit-api.js';
import { encryptToCertificate } from '../../node-lib/cms/index.js';
import { digest } from '../http/secrets.js';
import { type InitResult, initDataDir } from '../init.js';
import { type RunningServer, type StartServerOptions, startServer } from '../server.js';
import { keyOf, signedClaim } from './host-keys.js';

export interface TestServer {
  server: RunningServer;
  url: string;
  init: InitResult;
  dataDir: string;
  /** Everything the server logged, as text. */
  logs(): string;
  post(path: string, body: unknown, token?: string): Promise<Response>;
  get(path: string, token?: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: Partial<StartServerOptions> & { databaseUrl?: string } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'escrow-server-'));
  const init = await initDataDir({ dataDir, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
  return serveForTest({ dataDir, verifySchedule: false, logLevel: 'debug', ...opts }, init, () =>
    rmSync(dataDir, { recursive: true, force: true }),
  );
}

/**
 * A server started in process with its log captured, as a TestServer: a test's own server, or one replica
 * of a cluster (test-support/cluster.ts). `afterClose` removes what the caller made for it.
 */
export async function serveForTest(
  options: Parameters<typeof startServer>[0],
  init: TestServer['init'],
  afterClose: () => void = () => {},
): Promise<TestServer> {
  const chunks: string[] = [];
  const logDestination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const server = await startServer({ logDestination, ...options });
  const headers = (token?: string): Record<string, string> => ({
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  return {
    server,
    url: server.url,
    init,
    dataDir: options.dataDir,
    logs: () => chunks.join(''),
    post: (path, body, token) =>
      fetch(server.url + path, { method: 'POST', headers: headers(token), body: JSON.stringify(body) }),
    get: (path, token) =>
      fetch(server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    close: async () => {
      await server.close();
      afterClose();
    },
  };
}

export function hostIdentity(platform: Platform = 'linux', uuid: string = randomUUID()) {
  return {
    hardware_uuid: uuid,
    hardware_serial: `SER-${uuid.slice(0, 8)}`,
    hostname: `host-${uuid.slice(0, 8)}`,
    platform,
    os_version: platform === 'linux' ? 'Debian 12' : platform === 'darwin' ? 'macOS 15.1' : 'Windows 11',
  };
}

export interface EnrolledHost {
  nodeKey: string;
  hostId: number;
  identity: ReturnType<typeof hostIdentity>;
}

/**
 * Enrolls as an agent does, signing with the identity key that agent keeps for `uuid` (host-keys.ts), so a
 * second call with the same uuid is a proven re-enrollment. `key`: another key (null = no proof at all), as
 * a reinstalled computer or an attacker would send.
 */
export async function enroll(
  t: TestServer,
  platform: Platform = 'linux',
  uuid?: string,
  key?: KeyObject | null,
): Promise<EnrolledHost & { pendingMerge: boolean }> {
  const identity = hostIdentity(platform, uuid);
  const signer = key === undefined ? keyOf(identity.hardware_uuid) : key;
  const res = await t.post(AGENT_API_PATHS.enroll, {
    enroll_secret: t.init.enroll_secret,
    ...identity,
    ...(signer ? { host_identity: signedClaim(signer, identity.hardware_uuid) } : {}),
  });
  if (res.status !== 200) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { orbit_node_key: string; pending_merge?: boolean };
  const nodeKey = body.orbit_node_key;
  const host = await t.server.store.findHostByNodeKeyHash(digest(nodeKey));
  if (!host) throw new Error('enrolled, but no host has the node key');
  return { nodeKey, hostId: host.host.id, identity, pendingMerge: body.pending_merge === true };
}

export async function config(t: TestServer, nodeKey: string, extra: object = {}): Promise<ConfigResponse> {
  const res = await t.post(AGENT_API_PATHS.config, { orbit_node_key: nodeKey, ...extra });
  if (res.status !== 200) throw new Error(`config failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as ConfigResponse;
}

/** What an agent does: encrypt the key to the certificate from its config, base64 the DER. */
export async function envelopeFor(t: TestServer, nodeKey: string, recoveryKey: string): Promise<string> {
  const c = await config(t, nodeKey);
  return (await encryptToCertificate(Buffer.from(recoveryKey, 'latin1'), c.escrow_certificate)).toString(
    'base64',
  );
}

export async function hostIdOf(t: TestServer, hostname: string): Promise<number> {
  const res = await t.get('/api/latest/fleet/hosts', t.init.admin_token);
  const body = (await res.json()) as { hosts: { id: number; hostname: string }[] };
  const h = body.hosts.find((x) => x.hostname === hostname);
  if (!h) throw new Error(`no host ${hostname}`);
  return h.id;
}

/** A LUKS recovery key of our shape (8×8 modhex). */
export function luksKey(seed = 0): string {
  const alphabet = 'cbdefghijklnrtuv';
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    let s = '';
    for (let i = 0; i < 8; i++) s += alphabet[(seed * 7 + g * 8 + i * 3) % 16];
    groups.push(s);
  }
  return groups.join('-');
}

export const BITLOCKER_KEY = '123456-234567-345678-456789-567890-678901-789012-890123';
export const FILEVAULT_PRK = 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ';
