import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Named pipes for handing secrets to a child process as "key files" without them ever being files on
 * disk: the bytes go from our Buffer through the kernel's pipe buffer to the reader. The pipes live in a
 * fresh 0700 directory (mkdtemp) with mode 0600, so only root can open them.
 *
 * Node has no mkfifo(); coreutils' `mkfifo` makes them. Opening a FIFO for writing blocks until a reader
 * opens it; if the child exits without reading, finish() opens the read end non-blocking so the pending
 * writer completes instead of hanging a libuv thread forever.
 */
export class SecretFifo {
  private constructor(
    private readonly dir: string,
    readonly paths: string[],
  ) {}

  static async create(parent: string, count: number): Promise<SecretFifo> {
    const dir = await mkdtemp(join(parent, 'escrow-fifo-'));
    const paths = Array.from({ length: count }, (_, i) => join(dir, `key${i}`));
    try {
      await promisify(execFile)('mkfifo', ['-m', '600', ...paths], { env: { PATH: '/usr/bin:/bin' } });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return new SecretFifo(dir, paths);
  }

  /** Offer secrets[i] to the next reader of paths[i]. Call finish() once the reader has exited. */
  serve(secrets: Uint8Array[]): { finish: () => Promise<void> } {
    const served = this.paths.map((path, i) => serveOne(path, secrets[i] as Uint8Array));
    return { finish: async () => void (await Promise.all(served.map((finish) => finish()))) };
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function serveOne(path: string, secret: Uint8Array): () => Promise<void> {
  const writer = (async () => {
    const fh = await open(path, 'w');
    try {
      await fh.write(secret);
    } finally {
      await fh.close();
    }
  })().catch(() => {}); // EPIPE when the reader closed early: nothing to do
  return async () => {
    const unblock = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await writer; // completes now even if nobody read: our read end is open
    } finally {
      await unblock.close();
    }
  };
}
