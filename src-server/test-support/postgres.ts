import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A port the kernel just gave us; PostgreSQL cannot take port 0 itself. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function asPostgres(args: string[]): void {
  // The binaries refuse to run as root; the test machine runs tests as root (see test-services.md).
  execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface TestPostgres {
  /** A fresh, empty database on every call. */
  newDatabase(): Promise<string>;
  /** Fast shutdown and start again: every open connection breaks. */
  restart(): void;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL 15 cluster in a temp dir on a loopback port (Debian's `postgresql` package).
 * Missing binaries fail the test run: CI installs postgresql, and a skipped storage suite proves nothing.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'escrow-pg-'));
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  const port = await freePort();
  asPostgres([`${PG_BIN}/initdb`, '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () =>
    asPostgres([
      `${PG_BIN}/pg_ctl`,
      '-D',
      join(dir, 'data'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-l',
      join(dir, 'log'),
      '-w',
      'start',
    ]);
  const stop = () => asPostgres([`${PG_BIN}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
  start();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    async newDatabase() {
      const name = `escrow_test_${++n}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    restart() {
      stop();
      start();
    },
    async stop() {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
