import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { removeFileDurably, writeFileAtomic } from '../durable-file.js';

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
    await writeFileAtomic(this.file, key);
  }

  async clear(): Promise<void> {
    await removeFileDurably(this.file);
  }
}
