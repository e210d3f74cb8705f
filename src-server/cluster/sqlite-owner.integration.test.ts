import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initDataDir } from '../init.js';
import { startServer } from '../server.js';
import { OWNER_SOCKET, SqliteInUseError } from './sqlite-owner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const d = mkdtempSync(join(tmpdir(), 'escrow-owner-'));
  dirs.push(d);
  await initDataDir({ dataDir: d });
  return d;
}

const start = (d: string) => startServer({ dataDir: d, verifySchedule: false, logLevel: 'silent' });

describe('one server per SQLite file', () => {
  it('refuses a second server on the same data dir with a clear message, and allows one once the first stopped', async () => {
    const d = await dataDir();
    const first = await start(d);
    try {
      const second = start(d);
      await expect(second).rejects.toThrow(SqliteInUseError);
      await expect(second).rejects.toThrow(/another escrow server is already serving .*escrow\.sqlite/);
      // The first one is unharmed.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      await first.close();
    }
    const again = await start(d);
    await again.close();
  });

  it('takes over the claim of a server that was killed (kill -9 leaves the socket file behind)', async () => {
    const d = await dataDir();
    const path = join(d, OWNER_SOCKET);
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise((r) => child.stdout.once('data', r));
    await expect(start(d)).rejects.toThrow(SqliteInUseError);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(path)).toBe(true);
    const server = await start(d);
    await server.close();
  });
});
