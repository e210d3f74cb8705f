// The escrow server at company scale (issue 16): HOSTS simulated hosts on PostgreSQL, REPLICAS `escrow-server
// serve` processes behind Debian's HAProxy. Measures config check-ins per second and p99 through the
// balancer, one admin change → every held agent answered (HELD agents spread over the replicas), and each
// replica's memory. Run it with REPLICAS=1 and REPLICAS=3 to see how it scales and where the limit is.
// Usage: npm run build && REPLICAS=3 node bench/server/cluster.mjs
//   HOSTS (100000) REPLICAS (3) HELD (9000) DURATION (10 s) CONNECTIONS (50)
//   DATABASE_URL: an empty PostgreSQL database; without it a throwaway cluster is started (needs root and
//   Debian's postgresql package, as the tests do).
import { execFileSync, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

/** @import { LongPollDone } from './long-poll-client.mjs' */

const HOSTS = Number(process.env.HOSTS ?? 100_000);
const REPLICAS = Number(process.env.REPLICAS ?? 3);
const HELD = Math.min(HOSTS, Number(process.env.HELD ?? 9_000));
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const root = new URL('../../', import.meta.url).pathname;
if (!existsSync(join(root, 'dist/src-server/cli.js'))) throw new Error('run `npm run build` first');
const { initDataDir } = /** @type {typeof import('../../dist/src-server/init.js')} */ (
  await import(new URL('../../dist/src-server/init.js', import.meta.url).href)
);

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
const nodeKey = (/** @type {number} */ i) => `bench-node-key-${i}`;

/** A throwaway PostgreSQL 15 cluster (as src-server/test-support/postgres.ts starts one). */
async function startPostgres() {
  const bin = '/usr/lib/postgresql/15/bin';
  const dir = mkdtempSync(join(tmpdir(), 'escrow-bench-pg-'));
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  const port = await freePort();
  const as = (/** @type {string[]} */ args) =>
    execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
  as([`${bin}/initdb`, '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  as([
    `${bin}/pg_ctl`,
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-w',
    'start',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
  ]);
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE escrow_bench');
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/escrow_bench`,
    stop: () => {
      as([`${bin}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const postgres = process.env.DATABASE_URL ? null : await startPostgres();
const databaseUrl = process.env.DATABASE_URL ?? /** @type {{ url: string }} */ (postgres).url;
const dataDir = mkdtempSync(join(tmpdir(), 'escrow-bench-cluster-'));
const init = await initDataDir({ dataDir, databaseUrl });

// Hosts by bulk INSERT (the enroll endpoint is rate limited by design), with node keys we know.
const seeded = performance.now();
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const now = new Date().toISOString();
for (let start = 0; start < HOSTS; start += 1000) {
  const values = [];
  const params = [];
  for (let i = start; i < Math.min(HOSTS, start + 1000); i++) {
    const n = params.length;
    values.push(
      `($${n + 1}, $${n + 2}, $${n + 3}, 'linux', 'Debian 12', $${n + 4}, $${n + 5}, $${n + 5}, $${n + 6}, 'unmanaged')`,
    );
    const hostname = `bench-${i}`;
    params.push(
      `uuid-${i}`,
      `S${i}`,
      hostname,
      createHash('sha256').update(nodeKey(i)).digest('hex'),
      now,
      hostname,
    );
  }
  await db.query(
    `INSERT INTO hosts (hardware_uuid, hardware_serial, hostname, platform, os_version, node_key_hash,
       enrolled_at, last_seen_at, search_text, disk_encryption_status) VALUES ${values.join(', ')}`,
    params,
  );
}
await db.query('ANALYZE');
const seedSeconds = (performance.now() - seeded) / 1000;
const step = (/** @type {string} */ what) => console.error(`[cluster bench] ${what}`);
step(`${HOSTS} hosts seeded in ${seedSeconds.toFixed(1)} s`);

/** @type {{ child: import('node:child_process').ChildProcess, port: number, metrics: string }[]} */
const replicas = [];
for (let r = 0; r < REPLICAS; r++) {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/escrow-server'),
      'serve',
      '--data-dir',
      dataDir,
      '--database',
      databaseUrl,
      '--listen',
      `127.0.0.1:${port}`,
      '--metrics-listen',
      `127.0.0.1:${metricsPort}`,
      '--max-connections-per-address',
      '0',
      '--trusted-proxy',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  replicas.push({ child, port, metrics: `http://127.0.0.1:${metricsPort}/metrics` });
}
for (const r of replicas) {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${r.port}/readyz`).then(
      (x) => x.status === 200,
      () => false,
    );
    if (ok) break;
    await sleep(200);
  }
}
step(`${REPLICAS} replica(s) ready`);
const lbPort = await freePort();
const cfg = join(dataDir, 'haproxy.cfg');
writeFileSync(
  cfg,
  [
    'global',
    // Two descriptors per proxied connection: what the usual open-file limit (20,000 here) allows.
    '  maxconn 9500',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 90s',
    '  timeout server 90s',
    'frontend escrow',
    `  bind 127.0.0.1:${lbPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance leastconn',
    '  option httpchk GET /readyz',
    ...replicas.map((r, n) => `  server r${n} 127.0.0.1:${r.port} check inter 2s maxconn 8000`),
    '',
  ].join('\n'),
);
const haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
haproxy.once('exit', (code) => {
  if (code) throw new Error(`haproxy exited with ${code}`);
});
const url = `http://127.0.0.1:${lbPort}`;
while (
  !(await fetch(`${url}/readyz`).then(
    (x) => x.status === 200,
    () => false,
  ))
)
  await sleep(200);

const rssMb = (/** @type {number | undefined} */ pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const metric = async (/** @type {string} */ at, /** @type {string} */ name) => {
  const text = await (await fetch(at)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
};

step('HAProxy forwarding');
// 1. Check-ins through the balancer, every request a different host.
let next = 0;
const load = await autocannon({
  url: `${url}/api/fleet/orbit/config`,
  method: 'POST',
  connections: CONNECTIONS,
  duration: DURATION,
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ orbit_node_key: nodeKey(next++ % HOSTS) }) }),
    },
  ],
});
const loadAvgCheckins = loadavg()[0] ?? 0;
step(`check-ins done: ${load.requests.average.toFixed(0)}/s`);

// 2. HELD agents holding long-polls (spread over one client process per CPU), then one admin change.
const clients = Math.max(1, availableParallelism());
const per = Math.ceil(HELD / clients);
const done = [];
for (let c = 0; c < clients; c++) {
  const child = fork(new URL('./long-poll-client.mjs', import.meta.url));
  /** @type {import('node:child_process').Serializable[]} */
  const inbox = [];
  child.on('message', (m) => inbox.push(m));
  const keys = Array.from({ length: Math.max(0, Math.min(per, HELD - c * per)) }, (_, i) =>
    nodeKey(c * per + i),
  );
  child.send({ url, nodeKeys: keys });
  done.push(async () => {
    while (inbox.length < 2) await sleep(20);
    return /** @type {LongPollDone} */ (inbox[1]);
  });
}
for (;;) {
  const held = (await Promise.all(replicas.map((r) => metric(r.metrics, 'escrow_held_long_polls')))).reduce(
    (a, b) => a + b,
    0,
  );
  if (held >= HELD) break;
  step(`${held}/${HELD} agents held`);
  await sleep(1000);
}
const heldRss = replicas.map((r) => rssMb(r.child.pid));
const t0 = performance.timeOrigin + performance.now();
const change = await fetch(`${url}/api/latest/fleet/disk_encryption`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${init.admin_token}` },
  body: JSON.stringify({ team_id: null, enable_disk_encryption: true }),
});
const results = await Promise.all(done.map((d) => d()));
const fanOutMs = Math.max(...results.map((r) => r.last)) - t0;
const told = results.reduce((n, r) => n + r.told, 0);
const loadAvgEnd = loadavg()[0] ?? 0;

haproxy.kill('SIGTERM');
for (const r of replicas) r.child.kill('SIGTERM');
await Promise.all(replicas.map((r) => new Promise((res) => r.child.once('exit', res))));
await db.end();
postgres?.stop();
rmSync(dataDir, { recursive: true, force: true });

console.log(
  `escrow server cluster: ${HOSTS} hosts on PostgreSQL, ${REPLICAS} replica(s) behind HAProxy (seeded in ${seedSeconds.toFixed(1)} s)`,
);
console.log(
  `  check-ins through the balancer, ${CONNECTIONS} connections, ${DURATION} s: ${load.requests.average.toFixed(0)}/s, ` +
    `p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, errors ${load.non2xx + load.errors + load.timeouts} (load average ${loadAvgCheckins.toFixed(1)})`,
);
console.log(
  `  admin change → all ${HELD} held agents answered: ${fanOutMs.toFixed(0)} ms (change ${change.status}; told ${told}/${HELD}; load average ${loadAvgEnd.toFixed(1)})`,
);
console.log(
  `  memory per replica with the agents held: ${heldRss.map((m) => `${m.toFixed(0)} MB`).join(', ')} RSS`,
);
if (told !== HELD || load.non2xx + load.errors > 0) process.exitCode = 1;
