import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../durable-file.js';

/**
 * One LUKS header writer per device. LUKS2 aborts (rather than waits for) a concurrent header write, and
 * two escrows at once would add two slots, so every header-changing operation holds this lock:
 * - an in-process set stops two requests inside this agent;
 * - a lock file created with O_EXCL (`<stateDir>/luks-<uuid>.lock`) stops a second agent process. It
 *   names its holder by boot id, pid and the process start time, so a file left by a crash is taken over
 *   even after a reboot in which another process got the same pid.
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
    await fh.writeFile(await holderId(process.pid));
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Remove the lock file when the process that wrote it is gone. */
async function takeOverIfStale(path: string): Promise<boolean> {
  const written = (await readFile(path, 'utf8').catch(() => '')).trim();
  const pid = Number.parseInt(written.split(' ')[1] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && written === (await holderId(pid))) return false;
  await unlink(path).catch(() => {});
  return true;
}

/** "<boot id> <pid> <start time>" of a running process, or '' when it does not run. */
async function holderId(pid: number): Promise<string> {
  try {
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name in field 2 may contain spaces, so count after its ')'.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${bootId} ${pid} ${startTime}`;
  } catch {
    return '';
  }
}
