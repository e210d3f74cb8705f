// 10,000 agents waiting on config long-polls: server memory while they wait, and the time from one admin
// change (disk encryption on for "no team") until every agent has its new config.
// Targets (issue 4): ≤ 300 MB server memory; all agents within 2 s.
// Usage: npm run build && node bench/server/long-poll-fanout.mjs
import http from 'node:http';
import { mb, startBenchServer } from './lib.mjs';

const AGENTS = Number(process.env.AGENTS ?? 10_000);

const server = await startBenchServer({ hosts: AGENTS, encryption: false });
const { hostname, port } = new URL(server.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        path: '/api/fleet/orbit/config',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            body: JSON.parse(Buffer.concat(chunks).toString()),
            at: performance.now(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const before = await server.memory();
// First check-in of every agent (sequential batches keep the client side simple).
const versions = [];
for (let i = 0; i < AGENTS; i += 500) {
  const batch = server.nodeKeys.slice(i, i + 500).map((k) => post({ orbit_node_key: k }));
  for (const r of await Promise.all(batch)) versions.push(r.body.config_version);
}
const holds = server.nodeKeys.map((k, i) =>
  post({ orbit_node_key: k, wait_for_change: { after_version: versions[i], timeout_seconds: 55 } }),
);
while ((await server.waiting()) < AGENTS) await new Promise((r) => setTimeout(r, 100));
const held = await server.memory();

const t0 = performance.now();
const change = await fetch(`${server.url}/api/latest/fleet/disk_encryption`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
  body: JSON.stringify({ team_id: null, enable_disk_encryption: true }),
});
const changeDone = performance.now();
const answers = await Promise.all(holds);
const last = Math.max(...answers.map((a) => a.at));
const told = answers.filter((a) => a.body.notifications?.run_disk_encryption_escrow === true).length;
await server.stop();
agent.destroy();

console.log(`config long-poll fan-out, ${AGENTS} waiting agents (SQLite)`);
console.log(
  `  server memory: ${mb(before.rss)} RSS idle with hosts enrolled, ${mb(held.rss)} RSS with all waiting (heap ${mb(held.heapUsed)})`,
);
console.log(
  `  admin change → all ${AGENTS} agents answered: ${(last - t0).toFixed(0)} ms (the change request itself: ${(changeDone - t0).toFixed(0)} ms, ${change.status})`,
);
console.log(`  agents told to escrow: ${told}/${AGENTS}`);
if (told !== AGENTS) process.exitCode = 1;
