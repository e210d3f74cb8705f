import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.js';

/**
 * SQLite adapter (better-sqlite3, WAL). better-sqlite3 is synchronous and the connection is shared, so a
 * transaction whose body awaits could interleave with another request's statements. Every write therefore
 * goes through one promise-chain lock; reads do not take it (WAL readers never block and the HTTP
 * check-in path is read-mostly).
 */
export function openSqlite(path: string): SqlDriver {
  // Created owner-only first: SQLite gives its -wal and -shm files the database file's mode.
  closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode and avoids an fsync per commit.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let st = statements.get(sql);
    if (!st) {
      st = db.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };

  const direct: SqlExecutor = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      prepare(sql).get(...params) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({
      changes: prepare(sql).run(...params).changes,
    }),
    exec: async (sql: string) => {
      db.exec(sql);
    },
  };

  let lock: Promise<unknown> = Promise.resolve();
  const withLock = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lock.then(fn, fn);
    lock = next.catch(() => undefined);
    return next;
  };

  return {
    dialect: 'sqlite',
    all: direct.all,
    get: direct.get,
    run: (sql, params) => withLock(() => direct.run(sql, params)),
    exec: (sql) => withLock(() => direct.exec(sql)),
    transaction: (fn) =>
      withLock(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(direct);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      }),
    close: () =>
      withLock(async () => {
        db.close();
      }),
  };
}
