#!/usr/bin/env node
// Time from the escrow server coming back after an outage to the queued recovery key being stored on it:
// the agent (real process, default retry policy) escrows while the server is down, so its key is queued;
// the server stays down for --outage seconds (default 46) and is started again on the same port and data
// directory. Printed per run and as the median. `--runs N` (default 3). Needs `npm run build` and root.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../../dist/src-server/server.js';
import { makeWorld, waitFor } from './world.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, outage: { type: 'string', default: '46' } },
});
const runs = Number(values.runs);
const outageMs = Number(values.outage) * 1000;
const PASSPHRASE = 'bench outage passphrase';

const results = [];
for (let run = 0; run < runs; run++) {
  const w = await makeWorld({ passphrase: PASSPHRASE, agentArgs: ['--new-slot-pbkdf', 'fast'] });
  let server = w.server;
  try {
    await w.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
    const client = await w.connect();
    await waitFor(async () => (await client.request('status.get', {})).action, 'the escrow prompt');
    const port = Number(new URL(server.url).port);
    await server.close();
    const down = performance.now();
    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    if (result.outcome !== 'queued') throw new Error(`expected a queued key, got ${result.outcome}`);
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (performance.now() - down))));
    /** When the server's store took the key (set by the wrapper below). @type {{ at: number | null }} */
    const stored = { at: null };
    server = await startServer({
      dataDir: path.join(w.root, 'server'),
      port,
      verifySchedule: false,
      logLevel: 'warn',
    });
    const storeKey = server.store.storeKey.bind(server.store);
    server.store.storeKey = async (...args) => {
      const result = await storeKey(...args);
      stored.at ??= performance.now();
      return result;
    };
    const up = performance.now();
    await waitFor(() => stored.at, 'the queued key on the server', 10 * 60_000);
    // waitFor returned: the key is stored, so stored.at is set.
    const ms = /** @type {number} */ (stored.at) - up;
    results.push(ms);
    process.stdout.write(
      `run ${run + 1}: outage ${((up - down) / 1000).toFixed(1)} s, key stored ${(ms / 1000).toFixed(2)} s after the server was back\n`,
    );
    client.close();
  } finally {
    if (server !== w.server) await server.close();
    await w.close();
  }
}
results.sort((a, b) => a - b);
// At least one run (runs ≥ 1), so the middle, first and last results exist.
const [median, min, max] = /** @type {[number, number, number]} */ ([
  results[Math.floor(results.length / 2)],
  results[0],
  results.at(-1),
]);
process.stdout.write(
  `upload after a ${outageMs / 1000} s outage: median ${(median / 1000).toFixed(2)} s over ${runs} runs (min ${(min / 1000).toFixed(2)}, max ${(max / 1000).toFixed(2)})\n`,
);
