// Runs the escrow server (built code in dist/) in its own process for the benches, so the load generator
// and the server do not share a CPU core or a heap. Talks to its parent over the fork IPC channel:
//   parent → { hosts, platform, encryption }      child → { url, adminToken, nodeKeys }
//   parent → 'memory'                             child → { rss, heapUsed }
//   parent → 'waiting'                            child → { waiting }
//   parent → 'cpu'                                child → process.cpuUsage() (µs, all threads)
// Hosts are enrolled through the storage port directly: the enroll endpoint is rate-limited by design.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digest, newSecret } from '../../dist/src-server/http/secrets.js';
import { initDataDir } from '../../dist/src-server/init.js';
import { startServer } from '../../dist/src-server/server.js';

/** @import { BenchServerSetup } from './lib.mjs' */

/**
 * Answers lib.mjs, which starts this file with fork(): the IPC channel is always there.
 * @param {import('node:child_process').Serializable} message
 */
function reply(message) {
  if (!process.send)
    throw new Error('server-process.mjs talks over an IPC channel: bench/server/lib.mjs forks it');
  process.send(message);
}

const setup = /** @type {BenchServerSetup} */ (
  await new Promise((resolve) => process.once('message', resolve))
);
const dataDir = mkdtempSync(join(tmpdir(), 'escrow-bench-'));
const init = await initDataDir({ dataDir });
const server = await startServer({ dataDir, verifySchedule: false, logLevel: 'warn' });
const nodeKeys = [];
for (let i = 0; i < setup.hosts; i++) {
  const nodeKey = newSecret();
  await server.store.enrollHost(
    {
      hardware_uuid: `bench-${i}`,
      hardware_serial: `S${i}`,
      hostname: `bench-host-${i}`,
      platform: setup.platform ?? 'linux',
      os_version: 'Debian 12',
    },
    digest(nodeKey),
  );
  nodeKeys.push(nodeKey);
}
if (setup.encryption) await server.store.setDiskEncryption(null, true);
reply({ url: server.url, adminToken: init.admin_token, nodeKeys });

// The bench that started us stopped (or failed): do not outlive it.
process.on('disconnect', () => process.exit(1));

process.on('message', async (m) => {
  if (m === 'memory') {
    global.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    reply({ rss, heapUsed });
  } else if (m === 'cpu') {
    reply(process.cpuUsage());
  } else if (m === 'waiting') {
    reply({ waiting: server.waitingAgents() });
  } else if (m === 'stop') {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
