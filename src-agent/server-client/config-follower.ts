import { type ConfigResponse, MAX_WAIT_SECONDS } from '../../ipc/agent-server/orbit-api.js';
import type { ServerConnection } from '../../ipc/desktop-agent/device-status.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import { ServerBusyError, ServerUnavailableError } from '../platform-port.js';
import type { AgentApiClient } from './agent-api-client.js';
import { ServerRejectedError } from './errors.js';
import { type ReachabilityOptions, serverAddress, waitForReturn } from './reachability.js';
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
  /** How the agent notices the server or the network coming back during an outage (tests shorten it). */
  reachability?: Partial<ReachabilityOptions>;
}

/**
 * Keeps one config long-poll open to the server: the server answers as soon as this host's config changes
 * (an admin's decision reaches the agent in well under a second) and otherwise after `waitSeconds`, so an
 * idle agent wakes about once a minute. The agent keeps working offline meanwhile. How it retries depends on
 * what went wrong (ServerUnavailableError.reason):
 * - nothing answered (refused, reset, no route): exponential backoff with jitter, but the wait ends at once
 *   when the server's port accepts connections again or the network changes (reachability.ts), so a key
 *   queued during an outage goes out within seconds of the server's return;
 * - HTTP 429: not before its Retry-After, and the desktop is told "the server asked us to wait";
 * - a server certificate TLS refuses: one log line that says what to do (--ca-file), and the longest wait,
 *   since trying again cannot change the verdict (a restart with --ca-file, or a renewed certificate, can);
 * - anything else (5xx, timeouts, refusals): exponential backoff with jitter, capped.
 */
export class ConfigFollower {
  private readonly abort = new AbortController();
  private version: string | null = null;
  private failures = 0;
  private connected = false;
  private lastContactAt: string | null = null;
  private running: Promise<void> | null = null;
  private wakeEarly: (() => void) | null = null;
  /** When nothing first answered in the current outage (null = not in one). */
  private outageSince: number | null = null;
  /** The certificate or set-up problem last logged: logged again only when it changes. */
  private problemLogged: string | null = null;
  /** The last wait ended because the server's port accepted a connection. */
  private wokenByProbe = false;

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
        this.problemLogged = null;
        this.outageSince = null;
        this.wokenByProbe = false;
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
        this.connected = false;
        await this.afterFailure(err);
      }
    }
  }

  private async afterFailure(err: unknown): Promise<void> {
    const { api, log } = this.opts;
    const message = errorMessage(err);
    const policy = this.opts.retry ?? DEFAULT_RETRY_POLICY;
    if (err instanceof ServerBusyError) {
      // The server is there and asked us to wait: say so, and wait as long as it asked (plus a little
      // jitter, so agents told the same time do not all come back at once).
      this.lastContactAt = new Date().toISOString();
      this.publish('connected', message, err.retryAt);
      const wait = Math.max(0, err.retryAt.getTime() - Date.now());
      log.warn(
        { retryAt: err.retryAt.toISOString() },
        'the escrow server asked us to slow down (HTTP 429); queued keys are safe and will be sent then',
      );
      await this.sleep(wait + Math.floor(Math.random() * Math.min(5_000, wait / 10 + 1)));
      return;
    }
    const enrolled = await api.isEnrolled();
    this.publish(enrolled ? 'unreachable' : 'not_enrolled', message);
    if (err instanceof ServerUnavailableError && err.reason === 'untrusted_certificate') {
      this.outageSince = null;
      if (message !== this.problemLogged) log.error({ retryInMs: policy.maxMs }, message);
      this.problemLogged = message;
      await this.sleep(policy.maxMs);
      return;
    }
    const delay = retryDelay(this.failures++, policy);
    const refused = err instanceof ServerRejectedError;
    if (!(err instanceof ServerUnavailableError) || err.reason !== 'no_answer') {
      this.outageSince = null;
      // A refusal (a bad enroll secret file, a secret the server rejects) is one error line until it
      // changes, not one per retry; the backoff still grows to its maximum.
      if (refused && message !== this.problemLogged) log.error({ retryInMs: delay }, message);
      else if (!refused)
        log.warn({ err: message, retryInMs: delay, refused }, 'escrow server check-in failed');
      this.problemLogged = refused ? message : null;
      await this.sleep(delay);
      return;
    }
    // Nothing answered: keep the backoff, but look for the server and the network coming back meanwhile.
    const needDownFirst = this.wokenByProbe; // the port accepted last time and yet nothing answered
    this.wokenByProbe = false;
    this.problemLogged = null;
    this.outageSince ??= Date.now();
    log.warn({ err: message, retryInMs: delay }, 'escrow server not reachable; watching for its return');
    const { host, port } = serverAddress(api.serverUrl);
    const w = waitForReturn(
      { host, port, ...this.opts.reachability },
      this.outageSince,
      Date.now() + delay,
      needDownFirst,
    );
    this.wakeEarly = w.wake;
    const why = await w.done.finally(() => {
      this.wakeEarly = null;
    });
    if (why === 'server_back' || why === 'network_changed') {
      this.wokenByProbe = why === 'server_back';
      if (why === 'network_changed') this.failures = 0; // a new network: start the backoff afresh
      log.info({ why }, 'the escrow server may be back; checking in now');
    }
  }

  private publish(state: ServerConnection['state'], message?: string, slowDownUntil?: Date): void {
    this.opts.onConnection({
      state,
      url: this.opts.api.serverUrl,
      lastContactAt: this.lastContactAt,
      ...(message ? { message: message.slice(0, 1000) } : {}),
      ...(slowDownUntil ? { slowDown: { retryAt: slowDownUntil.toISOString() } } : {}),
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
