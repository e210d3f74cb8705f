import { Cron } from 'croner';
import type { EscrowKeyPair } from '../../src-shared/cms/index.js';
import type { Logger } from '../../src-shared/logger.js';
import type { Platform } from '../api/agent-api.js';
import type { DecryptabilityAnswer, EscrowStore, UncheckedKey } from '../storage/port.js';

export type DecryptabilityCheck = (
  base64Encrypted: string,
  platform: Platform,
  keys: readonly EscrowKeyPair[],
) => Promise<boolean>;

export interface VerifyRunResult {
  checked: number;
  decryptable: number;
  undecryptable: number;
  /** Keys that changed while the job decrypted them; their new version waits for the next check. */
  skippedChanged: number;
}

const BATCH = 500;

/**
 * Checks every key not checked yet (keys are checked on arrival, so these are the ones whose arrival check
 * could not run, e.g. the server stopped in between or an older server stored them). Writes each answer
 * with compare-and-set on the key's version, so a key replaced while this run decrypted the old one is
 * never marked with the old one's answer.
 */
export async function verifyUncheckedKeys(deps: {
  store: EscrowStore;
  keys: () => readonly EscrowKeyPair[];
  check: DecryptabilityCheck;
  /** Checks in flight at once (the decrypt pool's size); 1 when checking inline. */
  concurrency?: number;
  onChanged?: (hostId: number) => void;
}): Promise<VerifyRunResult> {
  const result: VerifyRunResult = { checked: 0, decryptable: 0, undecryptable: 0, skippedChanged: 0 };
  const seen = new Set<string>();
  const lanes = Math.max(1, deps.concurrency ?? 1);
  for (;;) {
    const batch = (await deps.store.listUncheckedKeys(BATCH)).filter(
      (k) => !seen.has(`${k.host_id}:${k.version}`),
    );
    if (batch.length === 0) return result;
    const answers: DecryptabilityAnswer[] = [];
    let i = 0;
    const lane = async () => {
      while (i < batch.length) {
        const k = batch[i++] as UncheckedKey;
        seen.add(`${k.host_id}:${k.version}`);
        const decryptable = await deps.check(k.base64_encrypted, k.platform, deps.keys());
        answers.push({ hostId: k.host_id, version: k.version, decryptable });
      }
    };
    await Promise.all(Array.from({ length: lanes * 2 }, lane));
    // One write per batch; compare-and-set per key, so a key replaced meanwhile keeps its own answer.
    const written = await deps.store.setDecryptable(answers);
    answers.forEach((a, n) => {
      if (!written[n]) {
        result.skippedChanged += 1;
        return;
      }
      result.checked += 1;
      if (a.decryptable) result.decryptable += 1;
      else result.undecryptable += 1;
      deps.onChanged?.(a.hostId);
    });
  }
}

/**
 * The hourly run (croner), plus one right at start: keys stored just before a crash or stop, whose arrival
 * check never ran, should not wait an hour. `protect` keeps a slow run from overlapping the next one.
 */
export function scheduleKeyVerification(
  pattern: string,
  run: () => Promise<VerifyRunResult>,
  log: Logger,
): { stop(): Promise<void> } {
  let current: Promise<void> | null = null;
  const once = async () => {
    try {
      const r = await run();
      log.info({ ...r }, 'key verification run finished');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'key verification run failed');
    }
  };
  const job = new Cron(pattern, { protect: true }, () => {
    current = once();
    return current;
  });
  void job.trigger();
  return {
    // Waits for a run in progress, so the database is not closed under it.
    stop: async () => {
      job.stop();
      await current;
    },
  };
}
