#!/usr/bin/env node
// `npm run bench`: builds, then runs every bench/ script one after another (they measure speed, so never in
// parallel with each other or with tests) and prints their figures. `npm run bench -- server` runs only the
// benches whose path contains "server". Needs root (cryptsetup images, socket tokens) and Chromium.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { exitCause, requireNode } from './node-check.mjs';

requireNode('npm run bench');

const BENCHES = [
  'server/config-checkins.mjs',
  'server/long-poll-fanout.mjs',
  'server/cluster.mjs',
  'server/verify-job.mjs',
  'server/host-search.mjs',
  'server/csv-export.mjs',
  'agent/decision-latency.mjs',
  'agent/idle.mjs',
  'agent/escrow-vs-floor.mjs',
  'agent/upload-after-outage.mjs',
  'macos/prk-latency.mjs',
  'desktop/renderer-size.mjs',
  'desktop/dialog-interactive.mjs',
  'desktop/dialog-breakdown.mjs',
  'desktop/window-cleanup.mjs',
  'console/bundle-size.mjs',
  'console/search-to-host.mjs',
];
// Every runnable bench is listed above; helpers (lib, clients, world…) are imported by them.
const listed = new Set(BENCHES);
const helpers = new Set([
  'lib.mjs',
  'long-poll-client.mjs',
  'server-process.mjs',
  'admin-fleet.mjs',
  'admin-server-process.mjs',
  'world.mjs',
  'load-harness.mjs',
  'simulated-mac-agent.mjs',
  'console-server.mjs',
]);
for (const dir of ['server', 'agent', 'macos', 'desktop', 'console']) {
  for (const f of readdirSync(path.join('bench', dir))) {
    if (f.endsWith('.mjs') && !helpers.has(f) && !listed.has(`${dir}/${f}`)) {
      process.stderr.write(
        `bench/${dir}/${f} is neither run nor known as a helper: add it to scripts/bench.mjs\n`,
      );
      process.exit(2);
    }
  }
}

const filter = process.argv[2] ?? '';
if (spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' }).status !== 0) process.exit(1);
let failed = 0;
for (const bench of BENCHES.filter((b) => b.includes(filter))) {
  process.stdout.write(`\n== bench/${bench}\n`);
  const r = spawnSync(process.execPath, [path.join('bench', bench)], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`bench/${bench} failed (${exitCause(r.status, r.signal)})\n`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
