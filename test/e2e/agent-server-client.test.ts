import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { ServerUnavailableError } from '../../src-agent/platform-port.js';
import { AgentApiClient } from '../../src-agent/server-client/agent-api-client.js';
import { ServerRejectedError } from '../../src-agent/server-client/errors.js';
import { linuxHostIdentity } from '../../src-agent/server-client/host-identity.js';
import { HostIdentityKey } from '../../src-agent/server-client/host-identity-key.js';
import { NodeKeyStore } from '../../src-agent/server-client/node-key-store.js';
import { TestServer } from './test-support/agent-harness.js';

describe('agent API client against the real server', () => {
  let root: string;
  let server: TestServer;
  const log = createLogger('client-test', { level: 'silent' });
  const client = async (url: string, secret: string, stateDir: string) => {
    const secretFile = path.join(root, `secret-${Math.random()}`);
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
    return new AgentApiClient({
      serverUrl: url,
      enrollSecretFile: secretFile,
      nodeKeys: new NodeKeyStore(stateDir),
      identityKey: new HostIdentityKey(stateDir),
      identity: linuxHostIdentity,
      log,
    });
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'escrow-client-'));
    server = await TestServer.create(root);
  });
  afterAll(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('enrolls on first use, keeps the node key 0600, and re-enrolls when the server answers 401', async () => {
    const stateDir = await mkdtemp(path.join(root, 'state-'));
    const api = await client(server.url, server.enrollSecret, stateDir);
    const config = await api.config(null);
    expect(config.notifications.run_disk_encryption_escrow).toBe(false);
    const keyFile = path.join(stateDir, 'node-key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const first = await readFile(keyFile, 'utf8');

    await writeFile(keyFile, 'a-key-the-server-never-issued');
    const again = await client(server.url, server.enrollSecret, stateDir);
    expect((await again.config(null)).config_version).toBe(config.config_version);
    const second = await readFile(keyFile, 'utf8');
    expect(second).not.toBe(first);
    expect(second).not.toBe('a-key-the-server-never-issued');
  });

  it('a second install on this machine (its own identity key) gets a pending host and cannot unseat the first', async () => {
    const firstDir = await mkdtemp(path.join(root, 'state-'));
    const first = await client(server.url, server.enrollSecret, firstDir);
    await first.config(null);
    const firstKey = await readFile(path.join(firstDir, 'node-key'), 'utf8');
    // Same hardware identity (this machine), another state dir: a reinstall, or someone pretending.
    const secondDir = await mkdtemp(path.join(root, 'state-'));
    const second = await client(server.url, server.enrollSecret, secondDir);
    await second.config(null);
    expect(await readFile(path.join(secondDir, 'node-key'), 'utf8')).not.toBe(firstKey);
    // The first agent's node key still works: it did not have to enroll again.
    const firstAgain = await client(server.url, server.enrollSecret, firstDir);
    await firstAgain.config(null);
    expect(await readFile(path.join(firstDir, 'node-key'), 'utf8')).toBe(firstKey);
  });

  it('a wrong enroll secret is a refusal (not retried as "unavailable"); a dead port is unavailable', async () => {
    const wrong = await client(server.url, 'not-the-secret', await mkdtemp(path.join(root, 'state-')));
    const refused = await wrong.config(null).catch((e) => e);
    expect(refused).toBeInstanceOf(ServerRejectedError);
    expect(refused.status).toBe(401);

    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dead = await client(`http://127.0.0.1:${port}`, 'x', await mkdtemp(path.join(root, 'state-')));
    const err = await dead.config(null).catch((e) => e);
    expect(err).toBeInstanceOf(ServerUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a long-poll returns as soon as the server config changes', async () => {
    const api = await client(server.url, server.enrollSecret, await mkdtemp(path.join(root, 'state-')));
    const before = await api.config(null);
    const held = api.config(before.config_version, 30);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await server.enableEncryption();
    const changed = await held;
    expect(changed.config_version).not.toBe(before.config_version);
    expect(changed.disk_encryption.enabled).toBe(true);
    expect(performance.now() - t0).toBeLessThan(25_000); // far below the 30 s hold: released by the change
    await server.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: false });
  });
});
