import type { ConfigResponse } from '../api/agent-api.js';

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
  resolve(config: ConfigResponse | null): void;
  timer: NodeJS.Timeout;
}

export type ConfigReader = (hostId: number) => Promise<ConfigResponse | null>;

export class ConfigWaiters {
  private readonly byHost = new Map<number, Set<Waiter>>();

  constructor(private readonly read: ConfigReader) {}

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
  ): Promise<ConfigResponse | null> {
    return new Promise<ConfigResponse | null>((resolve, reject) => {
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
      set.add(waiter);
      onAbort(() => finish(() => resolve(null)));
      this.read(hostId).then(
        (c) => {
          if (!c || c.config_version !== afterVersion) finish(() => resolve(c));
        },
        (err: unknown) => finish(() => reject(err)),
      );
    });
  }

  /** Re-reads the config of these hosts' waiters and answers those whose version changed. */
  async notify(hostIds: Iterable<number>): Promise<void> {
    for (const id of hostIds) {
      const set = this.byHost.get(id);
      if (!set || set.size === 0) continue;
      const config = await this.read(id).catch(() => null);
      for (const w of [...set]) {
        if (!config || config.config_version !== w.afterVersion) w.resolve(config);
      }
    }
  }

  /** A change that can concern every host (escrow certificate rotation, "no team" policy). */
  notifyAll(): Promise<void> {
    return this.notify([...this.byHost.keys()]);
  }

  /** Shutdown: every held request gets the current config now, so agents reconnect at once elsewhere. */
  async releaseAll(): Promise<void> {
    for (const [id, set] of [...this.byHost]) {
      const config = await this.read(id).catch(() => null);
      for (const w of [...set]) w.resolve(config);
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
