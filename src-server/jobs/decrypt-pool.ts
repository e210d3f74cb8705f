import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { isDecryptable } from '../escrow/key-check.js';
import type { DecryptabilityCheck } from './verify-keys.js';
import type { CheckTask } from './verify-worker.js';

/** The compiled worker beside this file (dist/). Absent when running from TypeScript sources. */
export const DEFAULT_WORKER_URL = new URL('./verify-worker.js', import.meta.url);

/**
 * Decryptability checks on worker threads. Each check is an RSA private operation (milliseconds of CPU);
 * on the HTTP thread a verification run over thousands of keys would stall every check-in, and one thread
 * uses one core. Each task goes to the worker with the fewest checks queued (round-robin let one worker
 * idle while the other still had a queue); keys travel with a task when they changed, so a rotated
 * certificate needs no restart of the workers.
 */
export class DecryptPool {
  /** Checks sent to each worker and not answered yet, by worker index. */
  private readonly queued: number[];
  /** After a worker died, checks run inline: slower, never wrong. */
  private broken = false;
  private seq = 0;
  private readonly pending = new Map<
    number,
    { worker: number; resolve(ok: boolean): void; reject(err: Error): void }
  >();
  /** The key list each worker holds (by identity: a rotation produces a new array). */
  private readonly keysSent = new WeakMap<Worker, readonly EscrowKeyPair[]>();

  private constructor(private readonly workers: Worker[]) {
    this.queued = workers.map(() => 0);
    for (const w of workers) {
      w.on('message', (m: { id: number; ok: boolean }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.queued[p.worker] = (this.queued[p.worker] as number) - 1;
        if (this.queued[p.worker] === 0) w.unref();
        p.resolve(m.ok);
      });
      w.on('error', (err) => {
        this.broken = true;
        this.failAll(err);
      });
      w.unref(); // an idle worker does not keep the process alive; one with checks queued does (dispatch)
    }
  }

  /** null when the worker script is not there (tests run the TypeScript sources): callers check inline. */
  static create(size: number, workerUrl: URL = DEFAULT_WORKER_URL): DecryptPool | null {
    if (size < 1 || !existsSync(fileURLToPath(workerUrl))) return null;
    return new DecryptPool(Array.from({ length: size }, () => new Worker(workerUrl)));
  }

  get size(): number {
    return this.workers.length;
  }

  readonly check: DecryptabilityCheck = (
    base64Encrypted: string,
    platform: Platform,
    keys: readonly EscrowKeyPair[],
  ) =>
    this.broken
      ? isDecryptable(base64Encrypted, platform, keys)
      : this.dispatch(base64Encrypted, platform, keys);

  private dispatch(
    base64Encrypted: string,
    platform: Platform,
    keys: readonly EscrowKeyPair[],
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const id = ++this.seq;
      const index = this.leastQueued();
      this.queued[index] = (this.queued[index] as number) + 1;
      this.pending.set(id, { worker: index, resolve, reject });
      const worker = this.workers[index] as Worker;
      worker.ref();
      const task: CheckTask = { id, base64Encrypted, platform };
      if (this.keysSent.get(worker) !== keys) {
        task.keys = keys;
        this.keysSent.set(worker, keys);
      }
      worker.postMessage(task);
    });
  }

  private leastQueued(): number {
    let best = 0;
    for (let i = 1; i < this.queued.length; i++) {
      if ((this.queued[i] as number) < (this.queued[best] as number)) best = i;
    }
    return best;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.failAll(new Error('decrypt pool closed'));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.queued.fill(0);
    for (const w of this.workers) w.unref();
  }
}
