import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { initDataDir } from '../init.js';
import { type StartServerOptions, startServer } from '../server.js';
import type { TestServer } from './server.js';

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
    Array.from({ length: n }, async (): Promise<TestServer> => {
      const chunks: string[] = [];
      const server = await startServer({
        dataDir,
        databaseUrl,
        verifySchedule: false,
        logLevel: 'info',
        logDestination: new Writable({
          write(chunk, _enc, cb) {
            chunks.push(String(chunk));
            cb();
          },
        }),
        ...opts,
      });
      const headers = (token?: string): Record<string, string> => ({
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      });
      return {
        server,
        url: server.url,
        init,
        dataDir,
        logs: () => chunks.join(''),
        post: (path, body, token) =>
          fetch(server.url + path, { method: 'POST', headers: headers(token), body: JSON.stringify(body) }),
        get: (path, token) =>
          fetch(server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
        close: () => server.close(),
      };
    }),
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
