// Config check-ins per second with 10,000 enrolled hosts (SQLite), each request a different host's node key.
// Target (issue 4): ≥ 5,000/s with p99 ≤ 50 ms. Usage: npm run build && node bench/server/config-checkins.mjs
import autocannon from 'autocannon';
import { startBenchServer } from './lib.mjs';

const HOSTS = Number(process.env.HOSTS ?? 10_000);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

const server = await startBenchServer({ hosts: HOSTS, encryption: true });
let i = 0;
const cpuBefore = await server.cpuMicros();
const result = await autocannon({
  url: `${server.url}/api/fleet/orbit/config`,
  method: 'POST',
  connections: CONNECTIONS,
  duration: DURATION,
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ orbit_node_key: server.nodeKeys[i++ % HOSTS] }),
      }),
    },
  ],
});
const cpuUsed = (await server.cpuMicros()) - cpuBefore;
await server.stop();
const ok = result['2xx'];
const bad = result.non2xx + result.errors + result.timeouts;
console.log(`config check-ins, ${HOSTS} enrolled hosts, ${CONNECTIONS} connections, ${DURATION} s (SQLite)`);
console.log(`  requests/s: avg ${result.requests.average.toFixed(0)}, min ${result.requests.min}`);
console.log(
  `  latency ms: p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`,
);
// Requests/s swings with whatever else runs on the machine; the server's CPU time per request does not
// (much), and says what one fully used core would sustain.
const perRequest = cpuUsed / Math.max(1, result.requests.total);
console.log(
  `  server CPU per check-in: ${perRequest.toFixed(0)} µs (one core would serve ${(1e6 / perRequest).toFixed(0)}/s)`,
);
console.log(`  responses: ${ok} 2xx, ${bad} errors/non-2xx`);
if (bad > 0) process.exitCode = 1;
