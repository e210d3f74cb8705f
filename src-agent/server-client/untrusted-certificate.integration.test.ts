import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { ServerUnavailableError } from '../platform-port.js';
import { AgentApiClient } from './agent-api-client.js';
import { ConfigFollower } from './config-follower.js';
import { HostIdentityKey } from './host-identity-key.js';
import { NodeKeyStore } from './node-key-store.js';

// A real TLS server on loopback with a self-signed certificate, as a first-day admin's test server has.
let dir: string;
let server: https.Server;
let url: string;
let certPem: string;
let requests = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'escrow-ca-file-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
    ].concat([
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { stdio: 'ignore' },
  );
  certPem = readFileSync(cert, 'utf8');
  server = https.createServer({ key: readFileSync(key), cert: certPem }, (req, res) => {
    requests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"orbit_node_key":"k"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(caPem?: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('test', { destination });
  const keyDir = mkdtempSync(path.join(dir, 'state-'));
  const secret = path.join(keyDir, 'enroll-secret');
  writeFileSync(secret, 's', { mode: 0o600 });
  const api = new AgentApiClient({
    serverUrl: url,
    enrollSecretFile: secret,
    nodeKeys: new NodeKeyStore(keyDir),
    identityKey: new HostIdentityKey(keyDir),
    identity: async () =>
      ({ hardware_uuid: 'u', hardware_serial: 's', hostname: 'h', platform: 'linux' }) as never,
    log,
    ...(caPem ? { caPem } : {}),
  });
  return { api, log, lines };
}

describe('a server certificate the agent does not trust (--ca-file)', () => {
  it('is its own kind of failure whose message names --ca-file', async () => {
    const { api } = client();
    const err = await api.enroll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerUnavailableError);
    expect((err as ServerUnavailableError).reason).toBe('untrusted_certificate');
    expect((err as Error).message).toMatch(
      /^the escrow server's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT: /,
    );
    expect((err as Error).message).toContain('--ca-file');
  });

  it('is trusted once the certificate is given as the CA', async () => {
    const { api } = client(certPem);
    await api.enroll();
    expect(await api.isEnrolled()).toBe(true);
  });

  it('the follower logs it once and then waits the longest retry, not a loop', async () => {
    const { api, log, lines } = client();
    const before = requests;
    const states: string[] = [];
    const follower = new ConfigFollower({
      api,
      log,
      onConfig: () => {},
      onConnection: (s) => states.push(s.state),
      retry: { baseMs: 10, maxMs: 400 },
    });
    follower.start();
    await new Promise((r) => setTimeout(r, 1_000));
    await follower.stop();
    // A 10 ms backoff would have tried dozens of times in a second; the certificate wait is maxMs.
    const tries = lines.filter((l) => String(l.msg).startsWith("the escrow server's certificate"));
    expect(tries).toHaveLength(1);
    expect(tries[0]?.level).toBe(50);
    expect(states.filter((s) => s === 'not_enrolled').length).toBeLessThanOrEqual(4);
    // TLS refused before any request reached the handler.
    expect(requests).toBe(before);
  });
});
