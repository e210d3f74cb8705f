import pg from 'pg';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.js';

/** `?` placeholders to PostgreSQL's `$1, $2…` (our SQL never has a literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await client.query(numbered(sql), params as SqlValue[])).rows as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await client.query(numbered(sql), params as SqlValue[])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({
      changes: (await client.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
    }),
    exec: async (sql: string) => {
      await client.query(sql);
    },
  };
}

/**
 * PostgreSQL aborts one of two transactions that wait for each other's row locks (40P01) or that cannot be
 * serialized (40001); its advice is to run the aborted one again. Key writes, status reports and the key
 * checks' answers lock a host's row and its key's row, not always in the same order, and the attack suite's
 * fuzzer met such a deadlock as a 500 on luks_data and disk_encryption_status (issue 18). A transaction's
 * function only talks to the database through its executor, so running it again is safe.
 */
const MAX_ATTEMPTS = 5;
const retryable = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
};

/** PostgreSQL adapter (node-postgres pool). Each transaction gets its own pooled connection. */
export function openPostgres(connectionString: string): SqlDriver {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle connection that breaks (database restart, network cut) is dropped by the pool and replaced
  // on the next query; without a listener Node would treat the event as fatal and end the server.
  pool.on('error', () => undefined);
  const base = executor(pool);
  return {
    dialect: 'postgres',
    ...base,
    transaction: async (fn) => {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(executor(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (!retryable(err) || attempt >= MAX_ATTEMPTS) throw err;
        } finally {
          client.release();
        }
        // Both sides of a deadlock back off by different amounts, so the retries do not meet again.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    },
    close: () => pool.end(),
  };
}
