import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { removeFileDurably, writeFileAtomic } from './durable-file.js';

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
    await writeFileAtomic(this.file, JSON.stringify({ remindAt }));
  }

  async clear(): Promise<void> {
    await removeFileDurably(this.file);
  }
}
