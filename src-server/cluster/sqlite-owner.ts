import { createHash } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export const OWNER_SOCKET = 'escrow-server.sock';

/** Unix socket paths are limited to 107 bytes (sun_path). */
const MAX_SOCKET_PATH = 100;

export class SqliteInUseError extends Error {}

/**
 * Claims a SQLite data dir for this server process: a second `serve` on the same file would keep its own
 * check-in cache, long-polls and rate limits, never hearing the first one's writes. The claim is a Unix
 * socket this process listens on: the kernel drops it when the process dies (even by kill -9), so a stale
 * claim is told apart from a live one by trying to connect. Commands other than serve (add-user, set-org)
 * do not claim and may run beside the server, as documented.
 */
export async function claimSqliteDataDir(dataDir: string): Promise<{ release(): Promise<void> }> {
  const dir = await realpath(dataDir);
  let path = join(dir, OWNER_SOCKET);
  // A long data dir path: the abstract namespace (Linux), named after the directory.
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    path = `\0escrow-server-${createHash('sha256').update(dir).digest('hex').slice(0, 32)}`;
  }
  const server = createServer((socket) => socket.end());
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (await someoneListens(path)) {
      throw new SqliteInUseError(
        `another escrow server is already serving ${join(dir, 'escrow.sqlite')}; SQLite is for one server process (run several on PostgreSQL: --database postgres://…)`,
      );
    }
    // Left by a server that died: take it over.
    if (!path.startsWith('\0') && existsSync(path)) unlinkSync(path);
    await listen();
  }
  server.unref();
  return {
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
