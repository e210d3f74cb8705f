import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';

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

/**
 * One small JSON state file, validated by a schema when loaded. A missing, torn or hand-edited file loads
 * as null (callers decide what "no state" means). Writes go out in call order, each atomic and durable: a
 * save started later never lands before one started earlier.
 */
export class JsonStateFile<T> {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  async load(): Promise<T | null> {
    const text = await readFile(this.path, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = this.schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  save(value: T): Promise<void> {
    const text = JSON.stringify(value); // the value as it is now, not when the queue reaches it
    return this.enqueue(async () => {
      await ensurePrivateDir(dirname(this.path));
      await writeFileAtomic(this.path, text);
    });
  }

  clear(): Promise<void> {
    return this.enqueue(() => removeFileDurably(this.path));
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.writes.catch(() => {}).then(job);
    this.writes = run;
    return run;
  }
}
