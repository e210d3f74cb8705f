// FileVault PRK escrow latency: a new /var/db/FileVaultPRK.dat appears (atomic rename, as macOS writes it)
// → the server has it stored and found it decryptable. The end point is the server's own "key escrowed"
// log line with decryptable=true (its timestamp; same clock), so no polling delay is added. Each round's
// key is then read back through the admin API and compared (untimed). Target: p95 ≤ 1 s.
// Run `npm run build` first (this imports dist/). Usage: node bench/macos/prk-latency.mjs [rounds]
import { execFileSync, fork } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEscrowKeys } from '../../dist/src-server/escrow/key-files.js';
import { initDataDir } from '../../dist/src-server/init.js';
import { startServer } from '../../dist/src-server/server.js';
import { adminApi } from '../lib/admin-api.mjs';

/** @import { SimulatedMacOptions } from './simulated-mac-agent.mjs' */

const rounds = Number(process.argv[2] ?? 40);
/**
 * @param {number[]} sorted
 * @param {number} p
 */
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomPrk = () =>
  Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => ALPHABET[randomInt(36)]).join('')).join(
    '-',
  );

const root = mkdtempSync(path.join(os.tmpdir(), 'escrow-prk-bench-'));
const dataDir = path.join(root, 'server');
const init = await initDataDir({ dataDir });
const certificate = (await loadEscrowKeys(dataDir)).current.certificatePath;

/** @type {((at: number) => void) | null} */
let onEscrowed = null;
const server = await startServer({
  dataDir,
  verifySchedule: false,
  logLevel: 'info',
  // Production allows a host 10 submissions then one a minute; the bench submits on purpose.
  rateLimits: { keyRead: { burst: 1000, perSecond: 100 }, keySubmit: { burst: 1000, perSecond: 100 } },
  logDestination: {
    write(line) {
      if (!line.includes('"key escrowed"')) return;
      const j = JSON.parse(line);
      if (j.decryptable === true) onEscrowed?.(j.time);
    },
  },
});
const admin = adminApi(server.url, init.admin_token);
await admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });

const varDb = path.join(root, 'var-db');
const bundle = path.join(root, 'Escrow Buddy.bundle');
mkdirSync(varDb);
mkdirSync(bundle);
const prkPath = path.join(varDb, 'FileVaultPRK.dat');
const secretFile = path.join(root, 'enroll-secret');
writeFileSync(secretFile, init.enroll_secret, { mode: 0o600 });

/** @param {string} prk */
function envelope(prk) {
  return execFileSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-recip', certificate], {
    input: prk,
  });
}

/** @type {SimulatedMacOptions} */
const agentOptions = {
  serverUrl: server.url,
  secretFile,
  stateDir: path.join(root, 'state'),
  socketPath: path.join(root, 'run', 'agent.sock'),
  prkPath,
  bundle,
};
const agent = fork(
  path.join(import.meta.dirname, 'simulated-mac-agent.mjs'),
  [JSON.stringify(agentOptions)],
  {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);
try {
  await new Promise((resolve, reject) => {
    agent.once('message', resolve);
    agent.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
  let hostId;
  for (let i = 0; i < 200 && hostId === undefined; i++) {
    hostId = (await admin('GET', '/hosts')).body.hosts[0]?.id;
    if (hostId === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  if (hostId === undefined) throw new Error('the agent did not enroll');
  await new Promise((r) => setTimeout(r, 500)); // let the agent settle into its long-poll

  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const prk = randomPrk();
    const bytes = envelope(prk); // made before the clock starts: macOS encrypts before it writes
    const tmp = path.join(varDb, `.FileVaultPRK.${randomBytes(4).toString('hex')}`);
    writeFileSync(tmp, bytes, { mode: 0o600 });
    const escrowed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`round ${i}: not escrowed within 30 s`)), 30_000);
      onEscrowed = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
    const t0 = Date.now();
    renameSync(tmp, prkPath);
    const t1 = await escrowed;
    onEscrowed = null;
    samples.push(t1 - t0);
    const read = await admin('GET', `/hosts/${hostId}/encryption_key?reason=e2e%20test`);
    if (read.body?.encryption_key?.key !== prk) throw new Error(`round ${i}: the server holds another key`);
    await new Promise((r) => setTimeout(r, 100 + randomInt(100)));
  }
  samples.sort((a, b) => a - b);
  /** @param {number | undefined} x */
  const f = (x) => `${x} ms`;
  console.log(
    `FileVaultPRK.dat written → server stored it, decryptable; ${rounds} rounds (agent in its own process):`,
  );
  console.log(
    `  p50 ${f(percentile(samples, 50))}  p95 ${f(percentile(samples, 95))}  max ${f(samples.at(-1))}  min ${f(samples[0])}` +
      `  (target p95 ≤ 1000 ms; ms resolution)`,
  );
  console.log(
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} CPUs`,
  );
} finally {
  // An agent that already died (e.g. failed to start) sends no second 'exit': waiting for one would hang.
  if (agent.exitCode === null && agent.signalCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
  await server.close();
  rmSync(root, { recursive: true, force: true });
}
