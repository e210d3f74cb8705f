import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../storage/open.js';
import type { TestPostgres } from './postgres.js';

/** The two adapters a storage suite runs against (PostgreSQL from a throw-away cluster). */
export function storeAdapters(postgres: () => TestPostgres) {
  return [
    {
      name: 'SQLite',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'escrow-store-'));
        const store = await openStore({ dataDir: dir });
        return { store, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'PostgreSQL',
      open: async () => {
        const databaseUrl = await postgres().newDatabase();
        return {
          store: await openStore({ dataDir: '/nonexistent', databaseUrl }),
          dir: '/nonexistent',
          databaseUrl,
          cleanup: () => {},
        };
      },
    },
  ];
}
