/**
 * A log line for an event anyone on the network can repeat at will (a wrong enroll secret, a refused
 * connection), written at most once per interval: the first occurrence after a quiet interval is logged at
 * once with its details; the ones after it are counted and summarised in one line at the end of the
 * interval (how many, from how many distinct sources, the last source), which starts the next interval.
 * A flood thus costs one line per interval, and a single event is still logged the moment it happens.
 */
export interface SummaryLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Distinct sources remembered per interval (the count stays exact beyond it). */
const MAX_SOURCES = 10_000;

export class LogSummary {
  private timer: NodeJS.Timeout | null = null;
  private count = 0;
  private readonly sources = new Set<string>();
  private lastSource = '';

  constructor(
    private readonly log: SummaryLog,
    private readonly message: string,
    private readonly intervalMs = 60_000,
  ) {}

  /** One occurrence, from `source` (an address); `fields` go on the immediate line only. */
  note(source: string, fields: Record<string, unknown> = {}): void {
    if (!this.timer) {
      this.log.warn(fields, this.message);
      this.startInterval();
      return;
    }
    this.count += 1;
    if (this.sources.size < MAX_SOURCES) this.sources.add(source);
    this.lastSource = source;
  }

  /** Writes what is pending (at shutdown) and stops the timer. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  private startInterval(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      // Something happened during this interval: summarise it and keep summarising.
      if (this.flush()) this.startInterval();
    }, this.intervalMs);
    this.timer.unref();
  }

  private flush(): boolean {
    if (this.count === 0) return false;
    this.log.warn(
      {
        count: this.count,
        sources: this.sources.size,
        ...(this.sources.size >= MAX_SOURCES ? { sources_capped: true } : {}),
        last_source: this.lastSource,
        interval_seconds: this.intervalMs / 1000,
      },
      `${this.message} (${this.count} more in the last ${this.intervalMs / 1000} s)`,
    );
    this.count = 0;
    this.sources.clear();
    this.lastSource = '';
    return true;
  }
}
