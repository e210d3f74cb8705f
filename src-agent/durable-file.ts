import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Crash-safe small files for the agent's state directory (journal, node key, reminders, FileVault state):
 * a file is either the old version or the new one, never half written, and a write has reached the disk
 * when the call returns. Files are created 0600.
 */

/**
 * Create `dir` (and parents) owner-only; an existing directory is tightened to 0700. A directory made here
 * is fsynced into its parent, so a journal written into it right after cannot vanish with a power cut.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if (created === undefined) return;
  // Every directory made here (from `dir` up to the first one mkdir created) is recorded in its parent.
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === created || d === dirname(d)) break;
  }
}

/** write temp → fsync → rename over the target → fsync the directory (so the rename itself is durable). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  // A random temp name: two writes of one file in flight never share a temp file.
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Remove a file durably; a missing file is fine (the work was already done). */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return;
  }
  await fsyncDir(dirname(path));
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
