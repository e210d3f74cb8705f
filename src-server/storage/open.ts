import { join } from 'node:path';
import type { EscrowStore } from './port.js';
import { openPostgres } from './postgres.js';
import { SqlEscrowStore } from './sql-store.js';
import { openSqlite } from './sqlite.js';

export const SQLITE_FILE = 'escrow.sqlite';

/** SQLite in the data dir unless a postgres:// URL is given; migrations applied either way. */
export async function openStore(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
}): Promise<EscrowStore> {
  const url = opts.databaseUrl;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('--database must be a postgres:// or postgresql:// URL');
  }
  const driver = url ? openPostgres(url) : openSqlite(join(opts.dataDir, SQLITE_FILE));
  const store = new SqlEscrowStore(driver);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
