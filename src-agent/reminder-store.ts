import path from 'node:path';
import { z } from 'zod';
import { JsonStateFile } from './durable-file.js';

const Reminder = z.object({ remindAt: z.iso.datetime({ offset: true }) });

/** "Not now" on the passphrase prompt: the time to ask again, kept across agent restarts. */
export class ReminderStore {
  private readonly file: JsonStateFile<z.infer<typeof Reminder>>;

  constructor(stateDir: string) {
    this.file = new JsonStateFile(path.join(stateDir, 'reminder.json'), Reminder);
  }

  /** A torn or edited file only loses the snooze. */
  async load(): Promise<string | null> {
    return (await this.file.load())?.remindAt ?? null;
  }

  save(remindAt: string): Promise<void> {
    return this.file.save({ remindAt });
  }

  clear(): Promise<void> {
    return this.file.clear();
  }
}
