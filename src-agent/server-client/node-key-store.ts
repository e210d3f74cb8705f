import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** The orbit node key: the agent's credential towards the server, kept in the state dir, mode 0600. */
export class NodeKeyStore {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'node-key');
  }

  async load(): Promise<string | null> {
    try {
      const key = (await readFile(this.file, 'utf8')).trim();
      return key === '' ? null : key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Atomic and durable: a crash leaves the old key or the new one, never half of one. */
  async save(key: string): Promise<void> {
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(key);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    await dir.sync().finally(() => dir.close());
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
