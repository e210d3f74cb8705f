import type { PreparedConfig } from './prepared-configs.js';

/**
 * Holds config long-polls until the host's config version changes.
 *
 * Why long-poll and not SSE: it is the same POST the agent already makes (one request shape, one schema,
 * one auth path), it passes through any HTTP proxy that forwards ordinary requests (many buffer or cut
 * streaming responses), and a lost response costs nothing because the agent simply asks again with its
 * last version. The hold is capped below common proxy idle timeouts (MAX_WAIT_SECONDS).
 */
interface Waiter {
  afterVersion: string;
  resolve(config: PreparedConfig | null): void;
  timer: NodeJS.Timeout;
}

export type ConfigReader = (hostId: number) => Promise<PreparedConfig | null>;
/** Configs of many hosts in one go (one pass over the tables instead of a lookup per host). */
export type BulkConfigReader = (hostIds: readonly number[]) => Promise<Map<number, PreparedConfig>>;

/** Held requests per host at most; an agent restarting may briefly have two. */
export const MAX_HELD_PER_HOST = 2;

/** Above this many waiting hosts to notify, one bulk read beats a lookup per host. */
const BULK_FROM = 200;

/**
 * Answers written per event-loop turn when many hosts wake at once. Writing 10,000 answers in one go holds
 * the loop for a second or more; in slices, check-ins, enrolls and the sockets' write callbacks (which free
 * each answered request) run in between, and memory from answered requests is released as we go.
 */
const ANSWERS_PER_TURN = 500;

export class ConfigWaiters {
  private readonly byHost = new Map<number, Set<Waiter>>();

  constructor(
    private readonly read: ConfigReader,
    private readonly readMany: BulkConfigReader,
  ) {}

  get size(): number {
    let n = 0;
    for (const s of this.byHost.values()) n += s.size;
    return n;
  }

  /**
   * Resolves with the host's config once its version differs from afterVersion, or when the timeout
   * passes, or when the server shuts down. The waiter is registered before the first read, so a change
   * that lands during that read is not missed.
   */
  async wait(
    hostId: number,
    afterVersion: string,
    timeoutMs: number,
    onAbort: (cancel: () => void) => void,
  ): Promise<PreparedConfig | null> {
    return new Promise<PreparedConfig | null>((resolve, reject) => {
      let done = false;
      const waiter: Waiter = {
        afterVersion,
        resolve: (c) => finish(() => resolve(c)),
        timer: setTimeout(() => this.settle(hostId, waiter), timeoutMs),
      };
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(waiter.timer);
        this.remove(hostId, waiter);
        fn();
      };
      let set = this.byHost.get(hostId);
      if (!set) {
        set = new Set();
        this.byHost.set(hostId, set);
      }
      // One agent needs one held request; a node key opening many would only pin server memory. The oldest
      // hold is answered (with the current config) to make room.
      const oldest = set.size >= MAX_HELD_PER_HOST ? set.values().next().value : undefined;
      if (oldest) void this.settle(hostId, oldest);
      set.add(waiter);
      onAbort(() => finish(() => resolve(null)));
      this.read(hostId).then(
        (c) => {
          if (!c || c.config.config_version !== afterVersion) finish(() => resolve(c));
        },
        (err: unknown) => finish(() => reject(err)),
      );
    });
  }

  /** Re-reads the config of these hosts' waiters and answers those whose version changed. */
  async notify(hostIds: Iterable<number>): Promise<void> {
    const waiting = [...new Set(hostIds)].filter((id) => this.byHost.has(id));
    if (waiting.length === 0) return;
    if (waiting.length >= BULK_FROM) {
      const configs = await this.readMany(waiting);
      for (let i = 0; i < waiting.length; i += ANSWERS_PER_TURN) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        for (const id of waiting.slice(i, i + ANSWERS_PER_TURN))
          this.answerChanged(id, configs.get(id) ?? null);
      }
      return;
    }
    for (const id of waiting) this.answerChanged(id, await this.read(id).catch(() => null));
  }

  private answerChanged(hostId: number, config: PreparedConfig | null): void {
    for (const w of [...(this.byHost.get(hostId) ?? [])]) {
      if (!config || config.config.config_version !== w.afterVersion) w.resolve(config);
    }
  }

  /** A change that can concern every host (escrow certificate rotation, "no team" policy). */
  notifyAll(): Promise<void> {
    return this.notify([...this.byHost.keys()]);
  }

  /** Shutdown: every held request gets the current config now, so agents reconnect at once elsewhere. */
  async releaseAll(): Promise<void> {
    const ids = [...this.byHost.keys()];
    const configs = await this.readMany(ids).catch(() => new Map<number, PreparedConfig>());
    for (const id of ids) {
      for (const w of [...(this.byHost.get(id) ?? [])]) w.resolve(configs.get(id) ?? null);
    }
  }

  private async settle(hostId: number, waiter: Waiter): Promise<void> {
    const config = await this.read(hostId).catch(() => null);
    waiter.resolve(config);
  }

  private remove(hostId: number, waiter: Waiter): void {
    const set = this.byHost.get(hostId);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.byHost.delete(hostId);
  }
}
