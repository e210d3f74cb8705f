import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { createLogger } from '../../node-lib/logger.js';
import { ServerBusyError } from '../platform-port.js';
import { AgentApiClient } from './agent-api-client.js';
import { HostIdentityKey } from './host-identity-key.js';
import { NodeKeyStore } from './node-key-store.js';

/**
 * A 429 on a key upload, from a real HTTP server on loopback: the error the escrow reports, the time the
 * desktop's status shows (slowDownUntil) and the hold on the endpoint are one time, not three readings of
 * the clock (under load they differed by milliseconds and the desktop's status disagreed with the result).
 */
let server: Server;
let dir: string;
let client: AgentApiClient;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (req.url === AGENT_API_PATHS.luksData) {
        res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
        res.end('{"error":"slow down"}');
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = mkdtempSync(path.join(tmpdir(), 'agent-api-client-'));
  writeFileSync(path.join(dir, 'node-key'), 'node-key-of-this-host');
  writeFileSync(path.join(dir, 'enroll-secret'), 'unused');
  client = new AgentApiClient({
    serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    enrollSecretFile: path.join(dir, 'enroll-secret'),
    nodeKeys: new NodeKeyStore(dir),
    identityKey: new HostIdentityKey(dir),
    identity: () => Promise.reject(new Error('enrolled already')),
    log: createLogger('test', { level: 'silent' }),
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

it('a 429 on the upload: one time in the error, the status and the hold; nothing sent before it', async () => {
  const before = Date.now();
  // Every reading of the clock is 5 ms later than the one before, as on a busy machine: two readings for
  // one answer would disagree.
  let clock = before;
  const now = vi.spyOn(Date, 'now').mockImplementation(() => (clock += 5));
  const err = await client
    .sendLuksData({ key_slot: 1, salt: 'c2FsdA==', base64_encrypted: 'AAAA', client_error: '' })
    .catch((e: unknown) => e)
    .finally(() => now.mockRestore());
  expect(err).toBeInstanceOf(ServerBusyError);
  const retryAt = (err as ServerBusyError).retryAt.getTime();
  expect(retryAt).toBeGreaterThanOrEqual(before + 2000);
  expect(client.slowDownUntil()?.getTime()).toBe(retryAt);

  // Held: the second try fails at once with the same time, and the server never sees it.
  const again = await client
    .sendLuksData({ key_slot: 1, salt: 'c2FsdA==', base64_encrypted: 'AAAA', client_error: '' })
    .catch((e: unknown) => e);
  expect((again as ServerBusyError).retryAt.getTime()).toBe(retryAt);
  expect(seen.filter((u) => u === AGENT_API_PATHS.luksData)).toHaveLength(1);
});
