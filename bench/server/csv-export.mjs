// CSV export of 100,000 hosts: the server streams it from keyset pages of the database, so its memory must
// not grow with the fleet. Measures the server's peak RSS and heap during the export against its idle
// figures (after a GC), and the time to the last byte. Target (issue 13): RSS growth ≤ 50 MB.
// Usage: npm run build && node bench/server/csv-export.mjs   (HOSTS=…, DATABASES=sqlite,postgres)
import { mb, seedFleet, startAdminServer, startPostgres } from './admin-fleet.mjs';

const HOSTS = Number(process.env.HOSTS ?? 100_000);
const DATABASES = (process.env.DATABASES ?? 'sqlite,postgres').split(',');

/**
 * @param {string} db the database's name, for the report
 * @param {string} [databaseUrl] PostgreSQL's; none: SQLite
 */
async function run(db, databaseUrl) {
  const { dataDir, init } = await seedFleet({ hosts: HOSTS, databaseUrl });
  const server = await startAdminServer({ dataDir, databaseUrl });
  const headers = { authorization: `Bearer ${init.admin_token}` };
  // One small request first, so the routes and the database connection are warm in both figures.
  await (await fetch(`${server.url}/api/latest/fleet/hosts?per_page=10`, { headers })).json();
  const idle = await server.memory();
  await server.peakStart();
  const started = performance.now();
  const res = await fetch(`${server.url}/api/latest/fleet/hosts/report?format=csv&order_key=hostname`, {
    headers,
  });
  let bytes = 0;
  let lines = 0;
  let firstByteMs = null;
  // The export answers with a streamed body (an error would too, and fail the row count below).
  for await (const chunk of /** @type {ReadableStream<Uint8Array>} */ (res.body)) {
    firstByteMs ??= performance.now() - started;
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = await server.peakStop();
  await server.stop();
  const growth = peak.rss - idle.rss;
  console.log(`\nCSV export, ${HOSTS.toLocaleString('en')} hosts on ${db}`);
  console.log(
    `  ${lines - 1} rows, ${mb(bytes)} in ${seconds.toFixed(1)} s (first byte after ${firstByteMs?.toFixed(0)} ms)`,
  );
  console.log(
    `  server RSS idle ${mb(idle.rss)}, peak ${mb(peak.rss)}: growth ${mb(growth)}; heap idle ${mb(idle.heapUsed)}, peak ${mb(peak.heapUsed)}` +
      ` (target growth ≤ 50 MB: ${growth <= 50 * 1024 * 1024 ? 'met' : 'NOT met'})`,
  );
  if (lines - 1 !== HOSTS) throw new Error(`expected ${HOSTS} rows, got ${lines - 1}`);
  return growth;
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
if (worst > 50 * 1024 * 1024) process.exitCode = 1;
