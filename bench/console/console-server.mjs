// The escrow server (built code in dist/) with `hosts` hosts and one admin person, in its own process so
// Chromium and the server do not share a heap. Parent → { hosts }; child → { url, email, password }.
// Hosts are enrolled through the storage port directly (the enroll endpoint is rate-limited by design).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digest, newSecret } from '../../dist/src-server/http/secrets.js';
import { initDataDir } from '../../dist/src-server/init.js';
import { startServer } from '../../dist/src-server/server.js';

/** @import { Platform } from '../../dist/ipc/agent-server/orbit-api.js' */
/** @typedef {{ hosts: number }} ConsoleServerSetup */
/** @typedef {{ url: string, email: string, password: string, seeded: string }} ConsoleServerReady */

/** @type {Platform[]} */
const PLATFORMS = ['linux', 'darwin', 'windows'];
const setup = /** @type {ConsoleServerSetup} */ (
  await new Promise((resolve) => process.once('message', resolve))
);
const dataDir = mkdtempSync(join(tmpdir(), 'escrow-console-bench-'));
const init = await initDataDir({ dataDir });
const server = await startServer({ dataDir, verifySchedule: false, logLevel: 'warn' });
const started = Date.now();
for (let i = 0; i < setup.hosts; i += 500) {
  const batch = [];
  for (let j = i; j < Math.min(setup.hosts, i + 500); j++) {
    batch.push(
      server.store.enrollHost(
        {
          hardware_uuid: `00000000-0000-4000-8000-${String(j).padStart(12, '0')}`,
          hardware_serial: `BENCH${String(j).padStart(7, '0')}`,
          hostname: `bench-host-${j}`,
          platform: /** @type {Platform} modulo its length */ (PLATFORMS[j % 3]),
          os_version: 'Debian 12',
        },
        digest(newSecret()),
      ),
    );
  }
  await Promise.all(batch);
}
await server.store.setDiskEncryption(null, true);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const email = 'bench@example.com';
const password = 'bench password for the console';
const res = await fetch(`${server.url}/api/latest/fleet/users`, {
  method: 'POST',
  headers: { authorization: `Bearer ${init.admin_token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ email, name: 'Bench', role: 'admin', password }),
});
if (!res.ok) throw new Error(`creating the bench user: ${res.status} ${await res.text()}`);
/** @type {ConsoleServerReady} */
const ready = { url: server.url, email, password, seeded: `${setup.hosts} hosts in ${seconds} s` };
// search-to-host.mjs forks this process with an IPC channel, so process.send is there.
/** @type {NonNullable<typeof process.send>} */ (process.send)(ready);

process.on('disconnect', () => process.exit(1));
process.on('message', async (m) => {
  if (m === 'stop') {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
