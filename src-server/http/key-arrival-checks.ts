import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { DecryptabilityCheck } from '../jobs/verify-keys.js';
import type { EscrowStore } from '../storage/port.js';
import { type RateLimiter, takeAll } from './rate-limit.js';

/** Keys waiting for their arrival check; beyond this they wait for the hourly job (which checks them all). */
const MAX_PENDING = 10_000;
/** How often waiting keys are looked at again once the limits said no. */
const RETRY_MS = 1_000;

export interface KeyArrivalCheckDeps {
  store: EscrowStore;
  check: DecryptabilityCheck;
  keys: () => readonly EscrowKeyPair[];
  /** Re-reads the escrow-keys directory; true when a new generation appeared. */
  refreshKeys: () => Promise<boolean>;
  limits: { perHost: RateLimiter; perSecret: RateLimiter; global: RateLimiter };
  /** A key's answer was written: the host's config may have changed (and its timeline gets the answer). */
  onChecked: (hostId: number, decryptable: boolean) => void;
  log: Logger;
}

/**
 * Whether an envelope decrypts is an oracle for whoever can submit envelopes, so the check runs after the
 * agent has its answer (204 whatever the envelope holds, at the same moment) and only as often as three
 * token buckets allow: per host, per enroll secret and all together. Until then the key is stored
 * unchecked (`decryptable` null), which the agent's config treats exactly like a good key; the flag flips
 * only once the check has run. Keys over the limits wait here and are retried as the buckets refill (the
 * hourly job checks whatever is still unchecked, e.g. after a restart).
 *
 * The check reads the host's current key when it runs, and its answer is written with compare-and-set on
 * the key's version, so a key replaced meanwhile is never marked with the old one's answer.
 */
export class KeyArrivalChecks {
  /** host id → what its key is checked as; insertion order is the order of arrival. */
  private readonly pending = new Map<number, { platform: Platform; secret: string }>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: KeyArrivalCheckDeps) {}

  /** A key was stored for this host: check it when the limits allow. */
  enqueue(hostId: number, platform: Platform, secret: string): void {
    if (this.stopped) return;
    if (!this.pending.has(hostId) && this.pending.size >= MAX_PENDING) return;
    this.pending.delete(hostId); // a newer key goes to the back, like a new arrival
    this.pending.set(hostId, { platform, secret });
    this.pump();
  }

  /** Keys waiting for their check. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Resolves once nothing is waiting or running (tests; the limits must let the waiting ones through). */
  async settled(): Promise<void> {
    while (this.pending.size > 0 || this.running.size > 0) {
      if (this.running.size > 0) await Promise.all(this.running);
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops taking keys and waits for the checks already running (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    await Promise.all(this.running);
  }

  private pump(): void {
    if (this.stopped) return;
    const { perHost, perSecret, global } = this.deps.limits;
    for (const [hostId, item] of this.pending) {
      if (!global.allows('all')) break;
      const refused = takeAll([
        [perHost, `host:${hostId}`],
        [perSecret, item.secret],
        [global, 'all'],
      ]);
      if (refused) continue;
      this.pending.delete(hostId);
      const run = this.checkOne(hostId, item.platform).finally(() => this.running.delete(run));
      this.running.add(run);
    }
    if (this.pending.size > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, RETRY_MS);
      this.timer.unref();
    }
  }

  private async checkOne(hostId: number, platform: Platform): Promise<void> {
    const { store, check, keys, refreshKeys, log } = this.deps;
    try {
      const key = (await store.getHostView(hostId))?.key;
      if (!key?.base64_encrypted || key.decryptable !== null) return; // replaced by an error, or checked
      let ok = await check(key.base64_encrypted, platform, keys());
      // A certificate rotated by the CLI while we run: pick up the new private key and try once more.
      if (!ok && (await refreshKeys())) ok = await check(key.base64_encrypted, platform, keys());
      const [written] = await store.setDecryptable([{ hostId, version: key.version, decryptable: ok }]);
      log.info({ host_id: hostId, decryptable: ok, written }, 'escrowed key checked');
      if (written) this.deps.onChecked(hostId, ok);
    } catch (err) {
      // The key stays unchecked; the hourly job tries again.
      log.error({ host_id: hostId, err: errorMessage(err) }, 'arrival check of an escrowed key failed');
    }
  }
}
