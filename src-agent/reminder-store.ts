import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const Reminder = z.object({ remindAt: z.iso.datetime({ offset: true }) });

/** "Not now" on the passphrase prompt: the time to ask again, kept across agent restarts. */
export class ReminderStore {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'reminder.json');
  }

  async load(): Promise<string | null> {
    const text = await readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = Reminder.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data.remindAt : null;
    } catch {
      return null; // a torn or edited file only loses the snooze
    }
  }

  async save(remindAt: string): Promise<void> {
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ remindAt }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
