// 10,000 agents waiting on config long-polls: server memory while they wait, and the time from one admin
// change (disk encryption on for "no team") until every agent has its new config. The agents are spread
// over one client process per CPU, as they would be spread over machines.
// Targets (issue 4): ≤ 300 MB server memory; all agents within 2 s.
// Usage: npm run build && node bench/server/long-poll-fanout.mjs
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mb, startBenchServer } from './lib.mjs';

/** @import { LongPollDone, LongPollHolding } from './long-poll-client.mjs' */
/** @typedef {LongPollHolding | LongPollDone} ClientReport what a client reports, in this order */

const AGENTS = Number(process.env.AGENTS ?? 10_000);
const CLIENTS = Number(process.env.CLIENTS ?? availableParallelism());
const now = () => performance.timeOrigin + performance.now();

const server = await startBenchServer({ hosts: AGENTS, encryption: false });
const before = await server.memory();

const per = Math.ceil(AGENTS / CLIENTS);
const clients = Array.from({ length: CLIENTS }, (_, c) => {
  const child = fork(new URL('./long-poll-client.mjs', import.meta.url));
  /** @type {ClientReport[]} */
  const messages = [];
  /** @type {((m: ClientReport) => void)[]} */
  const waiters = [];
  child.on('message', (m) => {
    const report = /** @type {ClientReport} */ (m);
    const waiter = waiters.shift();
    if (waiter) waiter(report);
    else messages.push(report);
  });
  // A client whose request failed exits non-zero (its error printed); without this the run waits forever.
  child.on('exit', (code) => {
    if (code) {
      console.error(`long-poll client ${c} failed (exit ${code})`);
      process.exit(1);
    }
  });
  /** @returns {Promise<ClientReport>} */
  const next = () =>
    new Promise((r) => {
      const m = messages.shift();
      if (m) r(m);
      else waiters.push(r);
    });
  child.send({ url: server.url, nodeKeys: server.nodeKeys.slice(c * per, (c + 1) * per) });
  return { next };
});
await Promise.all(clients.map((c) => c.next()));
while ((await server.waiting()) < AGENTS) await new Promise((r) => setTimeout(r, 100));
const held = await server.memory();

const t0 = now();
const change = await fetch(`${server.url}/api/latest/fleet/disk_encryption`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
  body: JSON.stringify({ team_id: null, enable_disk_encryption: true }),
});
const changeDone = now();
// Each client's second report is its LongPollDone.
const results = /** @type {LongPollDone[]} */ (await Promise.all(clients.map((c) => c.next())));
const last = Math.max(...results.map((r) => r.last));
const told = results.reduce((n, r) => n + r.told, 0);
await server.stop();

console.log(`config long-poll fan-out, ${AGENTS} waiting agents over ${CLIENTS} client processes (SQLite)`);
console.log(
  `  server memory: ${mb(before.rss)} RSS with hosts enrolled, ${mb(held.rss)} RSS with all waiting (heap ${mb(held.heapUsed)})`,
);
console.log(
  `  admin change → all agents answered: ${(last - t0).toFixed(0)} ms ` +
    `(the change request itself: ${(changeDone - t0).toFixed(0)} ms, ${change.status}; it answers once the ` +
    "hosts' stored statuses are re-derived, after the agents were told: decision 0016)",
);
console.log(`  agents told to escrow: ${told}/${AGENTS}`);
if (told !== AGENTS) process.exitCode = 1;
