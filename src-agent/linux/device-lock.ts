import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from './atomic-file.js';

/**
 * One LUKS header writer per device. LUKS2 aborts (rather than waits for) a concurrent header write, and
 * two escrows at once would add two slots, so every header-changing operation holds this lock:
 * - an in-process set stops two requests inside this agent;
 * - a lock file created with O_EXCL (`<stateDir>/luks-<uuid>.lock`, holding our pid) stops a second
 *   agent process. A lock file whose pid is no longer running was left by a crash and is taken over.
 * Node has no flock(); the pid check has a tiny race if two processes find the same stale file at the
 * same moment, which a single systemd-managed agent never does.
 */

const heldInThisProcess = new Set<string>();

export type Release = () => Promise<void>;

export class DeviceLock {
  constructor(private readonly stateDir: string) {}

  /** The release function, or null when someone else holds the lock (the caller answers "busy"). */
  async tryAcquire(deviceUuid: string): Promise<Release | null> {
    const path = join(this.stateDir, `luks-${deviceUuid.replace(/[^A-Za-z0-9-]/g, '_')}.lock`);
    if (heldInThisProcess.has(path)) return null;
    heldInThisProcess.add(path);
    try {
      await ensurePrivateDir(this.stateDir);
      if (
        !(await createExclusive(path)) &&
        !((await takeOverIfStale(path)) && (await createExclusive(path)))
      ) {
        heldInThisProcess.delete(path);
        return null;
      }
    } catch (e) {
      heldInThisProcess.delete(path);
      throw e;
    }
    return async () => {
      heldInThisProcess.delete(path);
      await unlink(path).catch(() => {});
    };
  }
}

async function createExclusive(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o600);
    await fh.writeFile(String(process.pid));
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Remove the lock file when the process that wrote it is gone. */
async function takeOverIfStale(path: string): Promise<boolean> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) return false;
  await unlink(path).catch(() => {});
  return true;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
