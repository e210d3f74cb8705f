import { Cron } from 'croner';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
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
 * never marked with the old one's answer; that new key is checked on its arrival, or by the next run.
 *
 * A pipeline, because the decrypt workers are the bottleneck and must never wait for the database: one
 * pass in host-id order (a cursor, so the next page can be read before this one's answers are written),
 * the next page read while this one is decrypted, and a page's answers written (one transaction) while
 * the next page is decrypted. Several checks stay queued per worker, so a worker that finishes one always
 * has the next at hand.
 */
export async function verifyUncheckedKeys(deps: {
  store: EscrowStore;
  keys: () => readonly EscrowKeyPair[];
  check: DecryptabilityCheck;
  /** Decrypt workers (the pool's size); 1 when checking inline. */
  concurrency?: number;
  onChanged?: (hostId: number, decryptable: boolean) => void;
}): Promise<VerifyRunResult> {
  const result: VerifyRunResult = { checked: 0, decryptable: 0, undecryptable: 0, skippedChanged: 0 };
  const inFlight = Math.max(1, deps.concurrency ?? 1) * QUEUED_PER_WORKER;
  const write = async (answers: DecryptabilityAnswer[]) => {
    const written = await deps.store.setDecryptable(answers);
    answers.forEach((a, n) => {
      if (!written[n]) {
        result.skippedChanged += 1;
        return;
      }
      result.checked += 1;
      if (a.decryptable) result.decryptable += 1;
      else result.undecryptable += 1;
      deps.onChanged?.(a.hostId, a.decryptable);
    });
  };
  let writing: Promise<void> = Promise.resolve();
  let page = await deps.store.listUncheckedKeys(BATCH);
  try {
    while (page.length > 0) {
      const checking = checkPage(page, deps, inFlight);
      const next = deps.store.listUncheckedKeys(BATCH, (page.at(-1) as UncheckedKey).host_id);
      next.catch(() => undefined); // awaited below; if a check fails first, its failure is the one reported
      const answers = await checking;
      await writing;
      writing = write(answers);
      page = await next;
    }
  } finally {
    await writing;
  }
  return result;
}

/** Checks queued per worker: enough that a worker never idles while the main thread is busy elsewhere. */
const QUEUED_PER_WORKER = 4;

async function checkPage(
  page: readonly UncheckedKey[],
  deps: { keys: () => readonly EscrowKeyPair[]; check: DecryptabilityCheck },
  inFlight: number,
): Promise<DecryptabilityAnswer[]> {
  const answers: DecryptabilityAnswer[] = [];
  let i = 0;
  const lane = async () => {
    while (i < page.length) {
      const k = page[i++] as UncheckedKey;
      const decryptable = await deps.check(k.base64_encrypted, k.platform, deps.keys());
      answers.push({ hostId: k.host_id, version: k.version, decryptable });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, page.length) }, lane));
  return answers;
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
      log.error({ err: errorMessage(err) }, 'key verification run failed');
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
