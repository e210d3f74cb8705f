// Host search over 100,000 hosts, on SQLite and on PostgreSQL: the console's searches and filters, one at a
// time, measured by the server's own Server-Timing (request to answer) and by the client.
// Target (issue 13): p95 server time ≤ 50 ms. Usage: npm run build && node bench/server/host-search.mjs
// HOSTS=… and DATABASES=sqlite,postgres change the fleet size and which databases run.
import { percentile, seedFleet, startAdminServer, startPostgres } from './admin-fleet.mjs';

const HOSTS = Number(process.env.HOSTS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 25);
const DATABASES = (process.env.DATABASES ?? 'sqlite,postgres').split(',');

/**
 * What people type and click: hostname, serial, UUID and user fragments, misses, filters, deep pages.
 * @param {number} i
 * @returns {[kind: string, query: string][]}
 */
function queries(i) {
  const n = (i * 7919) % HOSTS;
  const host = `lap-${String(n).padStart(6, '0')}`;
  return [
    ['hostname', `query=${host}&per_page=50`],
    [
      'hostname prefix',
      `query=lap-0${String(n).padStart(6, '0').slice(1, 4)}&order_key=hostname&per_page=50`,
    ],
    [
      'serial',
      `query=C02${((n * 40503) >>> 0).toString(36).toUpperCase().padStart(7, '0').slice(0, 5)}&per_page=50`,
    ],
    ['uuid', `query=${((n * 2654435761) >>> 0).toString(16).padStart(8, '0')}&per_page=50`],
    ['user', `query=user${n % 20_000}%40&per_page=50`],
    ['no match', 'query=zzzz-not-there&per_page=50'],
    // The worst case for a trigram index: a fragment every host has.
    ['matches every host', 'query=lap-&order_key=hostname&per_page=50'],
    ['status + team', 'status=action_required&team_id=2&order_key=hostname&per_page=100'],
    ['platform, by last seen', 'platform=darwin&order_key=seen_time&order_direction=desc&per_page=100'],
    ['first page', 'per_page=100'],
  ];
}

/**
 * @param {string} db the database's name, for the report
 * @param {string} [databaseUrl] PostgreSQL's; none: SQLite
 */
async function run(db, databaseUrl) {
  const { dataDir, init, seedSeconds } = await seedFleet({ hosts: HOSTS, databaseUrl });
  const server = await startAdminServer({ dataDir, databaseUrl });
  /** @param {string} q the query string */
  const get = async (q) => {
    const started = performance.now();
    const res = await fetch(`${server.url}/api/latest/fleet/hosts?${q}`, {
      headers: { authorization: `Bearer ${init.admin_token}` },
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${q}: ${res.status} ${JSON.stringify(body)}`);
    const serverMs = Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
    return { serverMs, clientMs: performance.now() - started, body };
  };
  for (const [, q] of queries(1)) await get(q); // warm-up
  /** @type {Map<string, number[]>} kind → server times (ms) */
  const byKind = new Map();
  const all = [];
  const clientAll = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [kind, q] of queries(r + 2)) {
      const { serverMs, clientMs } = await get(q);
      byKind.set(kind, [...(byKind.get(kind) ?? []), serverMs]);
      all.push(serverMs);
      clientAll.push(clientMs);
    }
  }
  // A deep keyset page: 20 pages in by cursor costs what the first one does.
  let cursor = null;
  const deep = [];
  for (let p = 0; p < 20; p++) {
    const { serverMs, body } = await get(
      `order_key=hostname&per_page=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    deep.push(serverMs);
    // A 200 answer (get checks it) is a host list (ipc/admin/hosts.ts, HostListResponse).
    cursor = /** @type {{ next_cursor: string | null }} */ (body).next_cursor;
  }
  await server.stop();
  all.sort((a, b) => a - b);
  clientAll.sort((a, b) => a - b);
  console.log(
    `\nhost search, ${HOSTS.toLocaleString('en')} hosts on ${db} (seeded in ${seedSeconds.toFixed(1)} s)`,
  );
  for (const [kind, ms] of byKind) {
    ms.sort((a, b) => a - b);
    console.log(
      `  ${kind.padEnd(24)} server p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms`,
    );
  }
  console.log(`  keyset pages 1–20        server ${deep.map((d) => d.toFixed(0)).join(' ')} ms`);
  const p95 = percentile(all, 95);
  console.log(
    `  all ${all.length} searches: server p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${/** @type {number} not empty: ROUNDS ≥ 1 */ (all.at(-1)).toFixed(1)} ms; ` +
      `client p95 ${percentile(clientAll, 95).toFixed(1)} ms (target p95 ≤ 50 ms: ${p95 <= 50 ? 'met' : 'NOT met'})`,
  );
  return p95;
}

let worst = 0;
if (DATABASES.includes('sqlite')) worst = Math.max(worst, await run('SQLite'));
if (DATABASES.includes('postgres')) {
  const pg = await startPostgres();
  try {
    worst = Math.max(worst, await run('PostgreSQL', await pg.newDatabase()));
  } finally {
    await pg.stop();
  }
}
if (worst > 50) process.exitCode = 1;
