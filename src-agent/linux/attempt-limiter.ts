import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writeFileAtomic } from '../durable-file.js';

/**
 * Wrong-passphrase limit: after MAX_FAILURES wrong passphrases within WINDOW the agent refuses to try
 * for COOLDOWN. Kept in the state directory so restarting the agent does not reset it. Guessing is
 * already slowed by the KDF; this limit also stops a local script from hammering the prompt and keeps
 * the 1 GiB argon2 runs from piling up.
 */

export const MAX_FAILURES = 5;
export const WINDOW_MS = 10 * 60_000;
export const COOLDOWN_MS = 10 * 60_000;

const State = z.object({
  failures: z.array(z.iso.datetime()).max(100),
  cooldown_until: z.iso.datetime().nullable(),
});
type State = z.infer<typeof State>;

export type AttemptStatus = { attemptsLeft: number; cooldownUntil: Date | null };

export class AttemptLimiter {
  private readonly dir: string;
  private readonly file: string;

  constructor(
    stateDir: string,
    deviceUuid: string,
    private readonly now: () => Date,
  ) {
    this.dir = stateDir;
    this.file = join(stateDir, `luks-attempts-${deviceUuid.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  }

  async status(): Promise<AttemptStatus> {
    return this.summarise(await this.load());
  }

  /** Record a wrong passphrase; returns what is left (cooldownUntil set when this one hit the limit). */
  async recordFailure(): Promise<AttemptStatus> {
    const state = await this.load();
    const now = this.now();
    const failures = [...this.recent(state, now), now.toISOString()];
    const next: State =
      failures.length >= MAX_FAILURES
        ? { failures: [], cooldown_until: new Date(now.getTime() + COOLDOWN_MS).toISOString() }
        : { failures, cooldown_until: state.cooldown_until };
    await this.save(next);
    return this.summarise(next);
  }

  /** A correct passphrase clears the count. */
  async reset(): Promise<void> {
    await this.save({ failures: [], cooldown_until: null });
  }

  private summarise(state: State): AttemptStatus {
    const now = this.now();
    const until = state.cooldown_until ? new Date(state.cooldown_until) : null;
    if (until && until > now) return { attemptsLeft: 0, cooldownUntil: until };
    return { attemptsLeft: MAX_FAILURES - this.recent(state, now).length, cooldownUntil: null };
  }

  private recent(state: State, now: Date): string[] {
    return state.failures.filter((t) => now.getTime() - new Date(t).getTime() < WINDOW_MS);
  }

  private async load(): Promise<State> {
    try {
      return State.parse(JSON.parse(await readFile(this.file, 'utf8')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { failures: [], cooldown_until: null };
      // A damaged file must not unlock unlimited guessing: treat it as a fresh cool-down.
      return { failures: [], cooldown_until: new Date(this.now().getTime() + COOLDOWN_MS).toISOString() };
    }
  }

  private async save(state: State): Promise<void> {
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.file, JSON.stringify(state));
  }
}
