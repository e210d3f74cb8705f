// A 100,000-host fleet for the admin benches, seeded with bulk INSERTs straight into the database (the enroll
// endpoint is rate limited and one host per transaction would take minutes), then an escrow server on it in
// its own process. Used by host-search.mjs and csv-export.mjs.
//   parent → 'memory'       child → { rss, heapUsed } after a GC
//   parent → 'peak-start'   child samples RSS every 20 ms;  parent → 'peak-stop'  child → { rss, heapUsed } peaks
//   parent → 'stop'
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {{ dataDir: string, databaseUrl?: string | undefined }} AdminServerSetup the first message to
 *   admin-server-process.mjs
 * @typedef {{ rss: number, heapUsed: number }} AdminServerMemory bytes
 */

const here = new URL('.', import.meta.url);
/** @param {string} p a path under dist/src-server/ */
const dist = (p) => new URL(`../../dist/src-server/${p}`, here).href;

/**
 * @param {{ hosts: number, databaseUrl?: string | undefined }} options no databaseUrl: SQLite in the data dir
 */
export async function seedFleet({ hosts, databaseUrl }) {
  if (!existsSync(new URL('../../dist/src-server/server.js', here))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  // Imported by computed URL, after the check above; typed as the modules they are.
  const { initDataDir } = /** @type {typeof import('../../dist/src-server/init.js')} */ (
    await import(dist('init.js'))
  );
  const { openSqlite } = /** @type {typeof import('../../dist/src-server/storage/sqlite.js')} */ (
    await import(dist('storage/sqlite.js'))
  );
  const { openPostgres } = /** @type {typeof import('../../dist/src-server/storage/postgres.js')} */ (
    await import(dist('storage/postgres.js'))
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'escrow-admin-bench-'));
  const init = await initDataDir({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
  const db = databaseUrl ? openPostgres(databaseUrl) : openSqlite(join(dataDir, 'escrow.sqlite'));
  const started = performance.now();
  await db.transaction(async (tx) => {
    for (let t = 1; t <= 5; t++) {
      await tx.run('INSERT INTO teams (name, enable_disk_encryption, created_at) VALUES (?, ?, ?)', [
        `Team ${t}`,
        t === 5 ? 0 : 1,
        new Date().toISOString(),
      ]);
    }
  });
  const statuses = [
    'verified',
    'verified',
    'verified',
    'verifying',
    'action_required',
    'failed',
    'enforcing',
  ];
  const platforms = ['linux', 'darwin', 'windows'];
  const now = Date.now();
  const BATCH = 500;
  for (let start = 0; start < hosts; start += BATCH * 20) {
    await db.transaction(async (tx) => {
      for (let b = start; b < Math.min(hosts, start + BATCH * 20); b += BATCH) {
        const rows = [];
        const keys = [];
        for (let i = b; i < Math.min(hosts, b + BATCH); i++) {
          const uuid = `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-bench-4000-8000-${String(i).padStart(12, '0')}`;
          const serial = `C02${((i * 40503) >>> 0).toString(36).toUpperCase().padStart(7, '0')}`;
          const hostname = `lap-${String(i).padStart(6, '0')}`;
          const user = i % 3 ? `user${i % 20_000}@example.com` : null;
          const team = (i % 6) + 1 > 5 ? null : (i % 6) + 1;
          // Both indexes are taken modulo the array's length.
          const status = team === 5 ? 'unmanaged' : /** @type {string} */ (statuses[i % statuses.length]);
          const seen = new Date(now - (i % 1000) * 60_000).toISOString();
          rows.push(
            uuid,
            serial,
            hostname,
            /** @type {string} */ (platforms[i % 3]),
            'OS 1',
            team,
            `nk-${i}`,
            seen,
            seen,
            [hostname, serial, uuid, user ?? ''].join('\n').toLowerCase(),
            status,
            user,
          );
          if (status === 'verified' || status === 'verifying')
            keys.push(i + 1, status === 'verified' ? 1 : null, seen, seen);
        }
        const n = rows.length / 12;
        await tx.run(
          `INSERT INTO hosts (hardware_uuid, hardware_serial, hostname, platform, os_version, team_id, node_key_hash,
             enrolled_at, last_seen_at, search_text, disk_encryption_status, logged_in_user)
           VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          rows,
        );
        if (keys.length) {
          await tx.run(
            `INSERT INTO host_disk_encryption_keys (host_id, base64_encrypted, key_slot, salt, client_error,
               decryptable, version, created_at, updated_at)
             VALUES ${new Array(keys.length / 4).fill("(?, 'QUJD', 1, 's', '', ?, 1, ?, ?)").join(', ')}`,
            keys,
          );
        }
      }
    });
  }
  // Fresh statistics, as a database that has been running would have (autovacuum, SQLite's optimize).
  await db.exec('ANALYZE');
  await db.close();
  return { dataDir, init, seedSeconds: (performance.now() - started) / 1000 };
}

/** @param {AdminServerSetup} setup */
export async function startAdminServer({ dataDir, databaseUrl }) {
  const child = fork(new URL('./admin-server-process.mjs', here), [], {
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  /**
   * @param {AdminServerSetup | 'memory' | 'peak-start' | 'peak-stop'} msg
   * @returns {Promise<unknown>} the child's answer (see the top of this file)
   */
  const ask = (msg) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      if (msg !== undefined) child.send(msg);
    });
  const { url } = /** @type {{ url: string }} */ (await ask({ dataDir, databaseUrl }));
  return {
    url,
    memory: () => /** @type {Promise<AdminServerMemory>} */ (ask('memory')),
    peakStart: () => ask('peak-start'),
    peakStop: () => /** @type {Promise<AdminServerMemory>} */ (ask('peak-stop')),
    stop: async () => {
      const done = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await done;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * @param {number[]} sorted ascending, not empty
 * @param {number} p the percentile, 0–100
 */
export function percentile(sorted, p) {
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

/** A throw-away PostgreSQL 15 cluster (the test suite's helper, loaded as TypeScript by Node). */
export async function startPostgres() {
  const { startPostgres: start } = await import('../../src-server/test-support/postgres.ts');
  return start();
}

/** @param {number} bytes */
export const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
