import type { Clock } from '../clock.js';

/** 2026-03-01T10:00:00Z: a fixed start, so times in tests read the same on every run. */
export const FAKE_CLOCK_START = Date.parse('2026-03-01T10:00:00Z');

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when the test says so. `advance` runs each timer that comes due at its own
 * time, in order, and lets promises and I/O callbacks settle after each one, so work a timer starts
 * (an agent request, a reconnect) has finished before the next timer runs.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = FAKE_CLOCK_START) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  timeout(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers not yet run. */
  pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Past every queued microtask and one turn of the event loop (a fake agent answers through a stream). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
