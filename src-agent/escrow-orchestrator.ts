import os from 'node:os';
import type { ConfigResponse } from '../ipc/agent-server/orbit-api.js';
import type { DeviceStatus, ServerConnection } from '../ipc/desktop-agent/device-status.js';
import { AgentError, type ErrorCode } from '../ipc/desktop-agent/errors.js';
import type { AgentEvent } from '../ipc/desktop-agent/messages.js';
import { errorMessage } from '../node-lib/error-message.js';
import type { Logger } from '../node-lib/logger.js';
import type { MethodHandlers, RequestContext } from './ipc-server/handlers.js';
import { splitResetSecret, startLink } from './key-reset-and-link.js';
import {
  applyDeferrals,
  type DeferralRecord,
  deferOnce,
  type LogoutDeferralStore,
  nextChangeAt,
} from './logout-deferrals.js';
import type { PlatformEscrow, PlatformState, ServerWishes } from './platform-port.js';
import type { ReminderStore } from './reminder-store.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from './server-client/retry-delay.js';
import { buildDeviceStatus, promptIsDue, sameStatus } from './status-builder.js';

/**
 * Whether the server asks for a new key (escrow or rotation). A config whose version was current when the
 * server acknowledged our key still says "escrow needed" until the long-poll brings the next version; its
 * wish is already met, so it asks for nothing (otherwise a fresh key would look like a rotation request).
 */
export function newKeyRequested(config: ConfigResponse | null, ackedUnderVersion: string | null): boolean {
  return (
    config !== null &&
    config.config_version !== ackedUnderVersion &&
    config.disk_encryption.enabled === true &&
    (config.notifications.run_disk_encryption_escrow || config.notifications.rotate_disk_encryption_key)
  );
}

/** "Not now" postpones the prompt by this much. */
export const REMIND_AFTER_MS = 4 * 60 * 60 * 1000;

/** Errors that mean "the escrow failed" to every desktop; the others are answers to the requester only. */
const FAILURE_CODES: ReadonlySet<ErrorCode> = new Set([
  'no_free_slot',
  'no_luks_device',
  'unsupported_luks',
  'cryptsetup_missing',
  'internal',
]);

export interface EscrowServiceOptions {
  platform: PlatformEscrow;
  api: AgentApiClient;
  reminders: ReminderStore;
  /** macOS: "Later" on the log-out prompt, counted against the deadline. */
  logoutDeferrals?: LogoutDeferralStore;
  agentVersion: string;
  log: Logger;
  broadcast: (event: AgentEvent) => void;
  now?: () => Date;
  remindAfterMs?: number;
  /** Backoff between retries of a queued key while the server answers (default DEFAULT_RETRY_POLICY). */
  uploadRetry?: RetryPolicy;
}

/**
 * The agent's state and behaviour between its edges: it combines what the platform module reads from the
 * disk with what the server wants, answers the desktop's requests, and pushes every change as events.
 */
export class EscrowService {
  private server: ServerConnection;
  private config: ConfigResponse | null = null;
  private platformState: PlatformState | null = null;
  private status: DeviceStatus | null = null;
  private remindAt: string | null = null;
  private deferral: DeferralRecord | null = null;
  private reminderTimer: NodeJS.Timeout | null = null;
  private escrowRunning = false;
  private queuedKey = false;
  private lastReport: string | null = null;
  /** The config version current when the server last acknowledged a key of ours (newKeyRequested()). */
  private ackedUnderVersion: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;
  /** A queued key's next retry while the server answers (a 5xx or 429 on the upload, not on check-ins). */
  private uploadRetryTimer: NodeJS.Timeout | null = null;
  private uploadFailures = 0;
  /** The local account at the screen for the status report; undefined until the IPC server has looked. */
  private loggedInUser: string | null | undefined = undefined;

  constructor(private readonly o: EscrowServiceOptions) {
    this.now = o.now ?? (() => new Date());
    this.server = { state: 'connecting', url: o.api.serverUrl, lastContactAt: null };
  }

  async start(): Promise<void> {
    this.remindAt = await this.o.reminders.load();
    this.deferral = (await this.o.logoutDeferrals?.load()) ?? null;
    await this.reconcile();
    await this.refresh();
  }

  stop(): void {
    if (this.reminderTimer) clearTimeout(this.reminderTimer);
    if (this.uploadRetryTimer) clearTimeout(this.uploadRetryTimer);
  }

  currentStatus(): DeviceStatus {
    return this.status ?? this.build();
  }

  // ---- inputs from the server connection ----

  onConnection(next: ServerConnection): void {
    const cameBack = next.state === 'connected' && this.server.state !== 'connected';
    this.server = next;
    this.publish();
    if (cameBack) {
      this.lastReport = null; // the server may have lost or reset what we told it
      // A queued key goes out now, whatever backoff it was in: the server has just answered.
      this.uploadFailures = 0;
      this.background(() => this.afterContact());
    }
  }

  onConfig(config: ConfigResponse): void {
    this.config = config;
    const quick = this.o.platform.cachedState(this.serverWishes());
    if (quick && !this.escrowRunning) {
      this.platformState = quick;
      this.publish();
    }
    this.background(async () => {
      await this.o.platform.onConfig(config, this.serverWishes());
      await this.refresh();
      await this.report();
    });
  }

  /** Every answer from the server (at most one long-poll period apart): re-read the disk, retry uploads. */
  onCheckIn(): void {
    this.background(() => this.afterContact());
  }

  /** The platform's upload of a key was acknowledged by the server (during an escrow or a retry). */
  onKeyAcknowledged(): void {
    this.ackedUnderVersion = this.config?.config_version ?? null;
  }

  /** Someone logged in or out at this computer: the server's host list names the person at the screen. */
  onLoggedInUser(name: string | null): void {
    if (name === this.loggedInUser) return;
    this.loggedInUser = name;
    this.background(() => this.report());
  }

  /** The platform noticed a change by itself (macOS: a new PRK file, the flag armed): show and report it. */
  onPlatformChange(): void {
    this.background(async () => {
      await this.refresh();
      await this.report();
    });
  }

  // ---- IPC handlers ----

  handlers(): MethodHandlers {
    return {
      'status.get': async () => this.currentStatus(),
      'recoveryKey.create': async (params, ctx) => {
        this.checkVolume(params.volumeId);
        const secret = ctx.secret;
        if (!secret) throw new AgentError('invalid_passphrase', 'No passphrase was sent.');
        return this.runKeyChange(ctx, 'escrow', () =>
          this.o.platform.createRecoveryKey(secret, this.serverWishes(), ctx.progress),
        );
      },
      'luks.setNewPassphrase': async (params, ctx) => {
        const platform = this.o.platform;
        if (!platform.setNewPassphrase) {
          throw new AgentError(
            'unsupported_platform',
            'Setting a new disk passphrase with the recovery key is for LUKS disks on Linux.',
          );
        }
        this.checkVolume(params.volumeId);
        const [recoveryKey, newPassphrase] = splitResetSecret(ctx.secret);
        return this.runKeyChange(ctx, 'new disk passphrase', () =>
          (platform.setNewPassphrase as NonNullable<typeof platform.setNewPassphrase>)(
            recoveryKey,
            newPassphrase,
            { removeOldPassphrase: params.removeOldPassphrase },
            this.serverWishes(),
            ctx.progress,
          ),
        );
      },
      'link.start': async (_params, ctx) => {
        this.o.log.info({ peer: ctx.peer.name, uid: ctx.peer.uid }, 'link requested over IPC');
        return startLink(this.o.api);
      },
      'luks.remindLater': async () => {
        if (this.platformState?.action?.kind !== 'luks_passphrase') {
          throw new AgentError('not_needed', 'Nothing is waiting for the passphrase.');
        }
        const remindAt = new Date(
          this.now().getTime() + (this.o.remindAfterMs ?? REMIND_AFTER_MS),
        ).toISOString();
        await this.o.reminders.save(remindAt);
        this.remindAt = remindAt;
        this.publish();
        return { remindAt };
      },
      'logout.defer': async () => {
        const store = this.o.logoutDeferrals;
        if (!store)
          throw new AgentError('unsupported_platform', 'Log-out deferral is for FileVault on macOS.');
        const action = this.platformState?.action;
        if (action?.kind !== 'macos_logout' || this.escrowRunning) {
          throw new AgentError('not_needed', 'Nothing is waiting for you to log out.');
        }
        const now = this.now().getTime();
        const next = deferOnce(action, this.deferral ?? freshDeferral(now), now);
        await store.save(next);
        this.deferral = next;
        this.o.log.info({ used: next.used }, 'log-out deferred');
        this.publish();
        this.background(() => this.report()); // IT sees how often the log-out was postponed
        const shown = applyDeferrals(action, next, now);
        return {
          deferralsLeft: shown.deferralsLeft,
          nextPromptAt: shown.nextPromptAt,
          deadline: shown.deadline,
        };
      },
    };
  }

  // ---- internals ----

  private checkVolume(volumeId: string | undefined): void {
    const volume = this.platformState?.volumes[0];
    if (volumeId !== undefined && volume && volumeId !== volume.id) {
      throw new AgentError('no_luks_device', `no volume ${volumeId} on this computer`);
    }
  }

  /**
   * One change of the disk's keys at a time (a new key, or a new passphrase and key): the answer goes out
   * as soon as the platform has it; the fresh disk state follows as a status event a moment later. After
   * a success the volume stays in_progress until then, so nobody reads the old state as current; after a
   * failure (nothing changed) the user may retry at once.
   */
  private async runKeyChange<T extends { outcome: 'escrowed' | 'queued' }>(
    ctx: RequestContext,
    what: string,
    run: () => Promise<T>,
  ): Promise<T> {
    if (this.escrowRunning) throw new AgentError('busy', 'An escrow is already running on this computer.');
    this.escrowRunning = true;
    let succeeded = false;
    this.publish();
    this.o.log.info({ peer: ctx.peer.name, uid: ctx.peer.uid }, `${what} requested over IPC`);
    try {
      const result = await run();
      this.remindAt = null;
      await this.o.reminders.clear();
      if (result.outcome === 'escrowed') this.announce('escrowed', 'The recovery key is held in escrow.');
      else this.queuedKey = true;
      succeeded = true;
      return result;
    } catch (err) {
      if (err instanceof AgentError && FAILURE_CODES.has(err.code)) this.announce('failed', err.message);
      throw err;
    } finally {
      if (!succeeded) this.escrowRunning = false;
      this.background(async () => {
        try {
          await this.refresh();
        } finally {
          this.escrowRunning = false;
          this.publish();
        }
        if (this.platformState?.pendingUpload) this.scheduleUploadRetry();
        await this.report();
      });
    }
  }

  private async afterContact(): Promise<void> {
    const sending = this.platformState?.pendingUpload === true;
    if (sending) await this.reconcile();
    await this.refresh();
    await this.report();
    if (sending) this.scheduleUploadRetry();
  }

  /**
   * After an attempt to send a queued key: if it is still queued while the server answers (it refused with
   * a 5xx, or asked us to slow down), try again after a backoff, and never before the server's Retry-After.
   * While the server cannot be reached nothing is scheduled here: the config follower notices its return
   * and onConnection() sends the key at once.
   */
  private scheduleUploadRetry(): void {
    if (this.uploadRetryTimer) clearTimeout(this.uploadRetryTimer);
    this.uploadRetryTimer = null;
    if (!this.platformState?.pendingUpload) {
      this.uploadFailures = 0;
      return;
    }
    if (this.server.state !== 'connected') return;
    const now = Date.now();
    const hold = this.o.api.slowDownUntil()?.getTime() ?? 0;
    const delay = retryDelay(this.uploadFailures++, this.o.uploadRetry ?? DEFAULT_RETRY_POLICY);
    const at = Math.max(hold + Math.floor(Math.random() * 1000), now + delay);
    this.uploadRetryTimer = setTimeout(() => {
      this.uploadRetryTimer = null;
      this.background(() => this.afterContact());
    }, at - now);
    this.uploadRetryTimer.unref();
  }

  private async reconcile(): Promise<void> {
    try {
      await this.o.platform.reconcile();
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'reconciliation did not finish; will retry');
    }
  }

  /** Re-reads the platform state; serialized so two refreshes never interleave their cryptsetup calls. */
  private refresh(): Promise<void> {
    const run = this.queue.then(async () => {
      try {
        this.platformState = await this.o.platform.state(this.serverWishes());
      } catch (err) {
        this.o.log.error({ err: errorMessage(err) }, 'could not read the disk encryption state');
        return;
      }
      // A queued key is announced once, by whichever refresh first sees it escrowed.
      if (this.platformState.pendingUpload) this.queuedKey = true;
      const escrowedNow = this.platformState.volumes.some((v) => v.escrow.state === 'escrowed');
      if (this.queuedKey && escrowedNow && !this.platformState.pendingUpload) {
        this.queuedKey = false;
        this.announce('escrowed', 'The queued recovery key reached the server.');
      }
      this.publish();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async report(): Promise<void> {
    const ps = this.platformState;
    if (!ps || this.server.state !== 'connected') return;
    const body = { ...ps.report, agent_version: this.o.agentVersion, ...this.peopleFacts(ps) };
    const key = JSON.stringify(body);
    if (key === this.lastReport) return;
    try {
      await this.o.api.reportStatus(body);
      this.lastReport = key;
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'could not report disk encryption status');
    }
  }

  /** Who is at the screen, and (macOS) how often they postponed the log-out being asked for now. */
  private peopleFacts(ps: PlatformState): {
    logged_in_user?: string | null;
    logout_deferrals?: number | null;
  } {
    const asking = ps.action?.kind === 'macos_logout';
    return {
      ...(this.loggedInUser === undefined ? {} : { logged_in_user: this.loggedInUser }),
      ...(this.o.logoutDeferrals ? { logout_deferrals: asking ? (this.deferral?.used ?? 0) : null } : {}),
    };
  }

  private serverWishes(): ServerWishes {
    return { config: this.config, newKeyRequested: newKeyRequested(this.config, this.ackedUnderVersion) };
  }

  private build(): DeviceStatus {
    // "Slow down" comes from whatever endpoint last answered 429 (the check-in, a key upload): one truth.
    const { slowDown: _fromFollower, ...server } = this.server;
    const slowUntil = this.o.api.slowDownUntil();
    return buildDeviceStatus({
      agentVersion: this.o.agentVersion,
      platform: this.o.platform.platform,
      hostname: os.hostname(),
      server: slowUntil ? { ...server, slowDown: { retryAt: slowUntil.toISOString() } } : server,
      config: this.config,
      platformState: this.platformState,
      remindAt: this.remindAt,
      deferral: this.deferral,
      escrowRunning: this.escrowRunning,
      now: this.now(),
    });
  }

  /**
   * A log-out request starts its deadline the first time it is shown and ends (forgetting its deferrals)
   * when the platform no longer asks, e.g. once the new key is escrowed.
   */
  private trackLogoutRequest(): void {
    const store = this.o.logoutDeferrals;
    if (!store) return;
    const asking = this.platformState?.action?.kind === 'macos_logout';
    if (asking && !this.deferral) {
      this.deferral = freshDeferral(this.now().getTime());
      this.background(() => store.save(this.deferral ?? freshDeferral(this.now().getTime())));
    } else if (!asking && this.deferral && this.platformState) {
      this.deferral = null;
      this.background(() => store.clear());
    }
  }

  private publish(): void {
    this.trackLogoutRequest();
    const next = this.build();
    const prev = this.status;
    if (sameStatus(prev, next)) return;
    this.status = next;
    this.o.broadcast({ type: 'event', event: 'status', data: next });
    const newlyDue =
      promptIsDue(next) &&
      (!prev || !promptIsDue(prev) || JSON.stringify(prev.action) !== JSON.stringify(next.action));
    if (newlyDue && next.action)
      this.o.broadcast({ type: 'event', event: 'action_required', data: next.action });
    this.scheduleReminder(next);
  }

  /**
   * One timer at the next time the status changes by itself (not a poll): the prompt comes back when
   * "Not now" or "Later" runs out, and a log-out deadline that passes takes the deferrals away.
   */
  private scheduleReminder(status: DeviceStatus): void {
    if (this.reminderTimer) clearTimeout(this.reminderTimer);
    this.reminderTimer = null;
    const now = this.now().getTime();
    const times = [this.remindAt ? Date.parse(this.remindAt) : Number.NaN];
    if (status.action?.kind === 'macos_logout') times.push(nextChangeAt(status.action, now) ?? Number.NaN);
    const future = times.filter((t) => t > now);
    if (future.length === 0) return;
    const ms = Math.min(...future) - now;
    this.reminderTimer = setTimeout(() => this.publish(), Math.min(ms + 50, 2 ** 31 - 1));
    this.reminderTimer.unref();
  }

  private announce(outcome: 'escrowed' | 'failed', message: string): void {
    const volumeId = this.platformState?.volumes[0]?.id ?? 'unknown';
    this.o.broadcast({ type: 'event', event: 'escrow_result', data: { volumeId, outcome, message } });
  }

  private background(fn: () => Promise<void>): void {
    fn().catch((err) => this.o.log.error({ err: errorMessage(err) }, 'background task failed'));
  }
}

function freshDeferral(now: number): DeferralRecord {
  return { firstPromptAt: now, used: 0, nextPromptAt: null };
}
