/**
 * Time as the desktop core sees it: what time it is, and "call me back in a while". Injected, as the
 * agent injects its `now`, so that tests move a fake clock instead of waiting for (or faking) real time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, `ms` from now; returns what cancels it. */
  timeout(ms: number, fn: () => void): () => void;
}

/** setTimeout holds at most ~24.8 days; a later time is re-armed when the agent re-sends its status. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  timeout(ms, fn) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS));
    return () => clearTimeout(timer);
  },
};

/** Timers by name on a clock: arming a name again replaces its pending timer. */
export class NamedTimers<Name extends string> {
  private readonly cancels = new Map<Name, () => void>();

  constructor(private readonly clock: Clock) {}

  /** Calls `fn` at `when` (ms since the epoch; at once if that has passed). */
  at(name: Name, when: number, fn: () => void): void {
    this.clear(name);
    const cancel = this.clock.timeout(when - this.clock.now(), () => {
      this.cancels.delete(name);
      fn();
    });
    this.cancels.set(name, cancel);
  }

  has(name: Name): boolean {
    return this.cancels.has(name);
  }

  clear(name: Name): void {
    this.cancels.get(name)?.();
    this.cancels.delete(name);
  }

  clearAll(): void {
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
  }
}
