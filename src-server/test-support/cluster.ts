import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../init.js';
import type { StartServerOptions } from '../server.js';
import { serveForTest, type TestServer } from './server.js';

/**
 * Several servers in this process on one PostgreSQL database and one data dir (the shared place the
 * escrow keys are read from), each a TestServer for the usual helpers.
 */
export async function startReplicas(
  databaseUrl: string,
  n: number,
  opts: Partial<StartServerOptions> = {},
): Promise<{ replicas: TestServer[]; dataDir: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'escrow-cluster-'));
  const init = await initDataDir({ dataDir, databaseUrl });
  const replicas = await Promise.all(
    Array.from({ length: n }, () =>
      serveForTest({ dataDir, databaseUrl, verifySchedule: false, logLevel: 'info', ...opts }, init),
    ),
  );
  return {
    replicas,
    dataDir,
    close: async () => {
      await Promise.all(replicas.map((r) => r.close()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
