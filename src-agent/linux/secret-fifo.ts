import { execFile } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Named pipes for handing secrets to a child process as "key files" without them ever being files on
 * disk: the bytes go from our Buffer through the kernel's pipe buffer to the reader. The pipes live in a
 * fresh 0700 directory (mkdtemp) with mode 0600 inside the agent's own root-only directory (never the shared
 * /tmp), so only root can open them. The directory's name carries this process's pid and start time: after
 * a kill -9 the next agent recognises the folders of dead runs and sweeps them (sweepSecretPipes).
 *
 * Node has no mkfifo(); coreutils' `mkfifo` makes them. Opening a FIFO for writing blocks until a reader
 * opens it; if the child exits without reading, finish() opens the read end non-blocking so the pending
 * writer completes instead of hanging a libuv thread forever.
 */
const PREFIX = 'escrow-fifo-';
let ownTag: string | null = null;

export class SecretFifo {
  private constructor(
    private readonly dir: string,
    readonly paths: string[],
  ) {}

  static async create(parent: string, count: number): Promise<SecretFifo> {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    await chmod(parent, 0o700);
    ownTag ??= runTag(process.pid) ?? String(process.pid);
    const dir = await mkdtemp(join(parent, `${PREFIX}${ownTag}-`));
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

/** "<pid>.<start time>" of a running process (Linux /proc), or null when it does not run. */
function runTag(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name in field 2 may contain spaces, so count after its ')'.
    return `${pid}.${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return null;
  }
}

export type SweepReport = { removed: string[]; killed: number[] };

/**
 * At agent start-up: the pipe folders of agent runs that no longer exist (kill -9, power cut) are removed,
 * and any process still naming one of them in its arguments (a cryptsetup orphaned in the instant between
 * its start and its parent-death signal being armed, blocked on a pipe that will never be written) is
 * killed first. A folder of a live run (another agent process on the same state directory) is left alone.
 */
export async function sweepSecretPipes(parent: string): Promise<SweepReport> {
  const report: SweepReport = { removed: [], killed: [] };
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw e;
  }
  const stale = names.filter((name) => {
    if (!name.startsWith(PREFIX)) return false;
    const tag = name.slice(PREFIX.length, name.lastIndexOf('-'));
    const pid = Number.parseInt(tag, 10);
    return !(Number.isInteger(pid) && pid > 0 && runTag(pid) === tag);
  });
  if (stale.length === 0) return report;
  const dirs = stale.map((name) => `${join(parent, name)}/`);
  for (const pid of await processesNaming(dirs)) {
    try {
      process.kill(pid, 'SIGKILL');
      report.killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  for (const name of stale) {
    await rm(join(parent, name), { recursive: true, force: true });
    report.removed.push(name);
  }
  return report;
}

/** Pids (not ours) whose command line mentions one of `paths`. */
async function processesNaming(paths: string[]): Promise<number[]> {
  const found: number[] = [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`).catch(() => null);
    if (!cmdline) continue;
    const args = cmdline.toString('utf8').split('\0');
    if (args.some((a) => paths.some((p) => a.includes(p)))) found.push(Number(entry));
  }
  return found;
}
