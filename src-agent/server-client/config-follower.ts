import { type ConfigResponse, MAX_WAIT_SECONDS } from '../../ipc/agent-server/orbit-api.js';
import type { ServerConnection } from '../../ipc/desktop-agent/device-status.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { AgentApiClient } from './agent-api-client.js';
import { ServerRejectedError } from './errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from './retry-delay.js';

export interface ConfigFollowerOptions {
  api: AgentApiClient;
  log: Logger;
  onConfig: (config: ConfigResponse) => void;
  onConnection: (state: ServerConnection) => void;
  /** Every successful answer, changed or not (about once per long-poll period when idle). */
  onCheckIn?: () => void;
  retry?: RetryPolicy;
  waitSeconds?: number;
}

/**
 * Keeps one config long-poll open to the server: the server answers as soon as this host's config changes
 * (an admin's decision reaches the agent in well under a second) and otherwise after `waitSeconds`, so an
 * idle agent wakes about once a minute. Failures switch to exponential retry with jitter; the agent keeps
 * working offline meanwhile.
 */
export class ConfigFollower {
  private readonly abort = new AbortController();
  private version: string | null = null;
  private failures = 0;
  private connected = false;
  private lastContactAt: string | null = null;
  private running: Promise<void> | null = null;
  private wakeEarly: (() => void) | null = null;

  constructor(private readonly opts: ConfigFollowerOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Ends the wait for the next attempt now (e.g. a key is queued and the caller wants a retry). */
  retryNow(): void {
    this.wakeEarly?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeEarly?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { api, log } = this.opts;
    const signal = this.abort.signal;
    this.publish((await api.isEnrolled()) ? 'connecting' : 'not_enrolled');
    while (!signal.aborted) {
      try {
        // After a failure ask without waiting: a held long-poll would hide for a minute that we are back.
        const after = this.connected ? this.version : null;
        const config = await api.config(after, this.opts.waitSeconds ?? MAX_WAIT_SECONDS, signal);
        if (signal.aborted) return;
        this.failures = 0;
        this.lastContactAt = new Date().toISOString();
        this.connected = true;
        this.publish('connected');
        if (config.config_version !== this.version) {
          this.version = config.config_version;
          log.info(
            { config_version: config.config_version, notifications: config.notifications },
            'server config',
          );
          this.opts.onConfig(config);
        }
        this.opts.onCheckIn?.();
      } catch (err) {
        if (signal.aborted) return;
        const message = errorMessage(err);
        this.connected = false;
        const enrolled = await api.isEnrolled();
        this.publish(enrolled ? 'unreachable' : 'not_enrolled', message);
        const delay = retryDelay(this.failures++, this.opts.retry ?? DEFAULT_RETRY_POLICY);
        log.warn(
          { err: message, retryInMs: delay, refused: err instanceof ServerRejectedError },
          'escrow server check-in failed',
        );
        await this.sleep(delay);
      }
    }
  }

  private publish(state: ServerConnection['state'], message?: string): void {
    this.opts.onConnection({
      state,
      url: this.opts.api.serverUrl,
      lastContactAt: this.lastContactAt,
      ...(message ? { message: message.slice(0, 1000) } : {}),
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeEarly = done;
    }).finally(() => {
      this.wakeEarly = null;
    });
  }
}
