import { Cron } from 'croner';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { EscrowStore } from '../storage/port.js';

/** Ended sessions are kept this long (so "signed out" answers stay precise), then deleted. */
const KEEP_ENDED_SESSIONS_MS = 7 * 86_400_000;

/**
 * The dashboard's history: one row set per day (UTC) of hosts by team × platform × status. Written at
 * startup (today's backfill) and every hour, each run replacing today's set, so the day's last run stands.
 * The same run deletes sessions that ended more than a week ago.
 */
export function scheduleDailySnapshots(
  pattern: string | null,
  store: EscrowStore,
  clock: () => number,
  log: Logger,
): { stop(): Promise<void>; runNow(): Promise<void> } {
  let current: Promise<void> | null = null;
  const once = async () => {
    try {
      const day = new Date(clock()).toISOString().slice(0, 10);
      await store.writeDailySnapshot(day);
      const deleted = await store.deleteEndedSessions(
        new Date(clock() - KEEP_ENDED_SESSIONS_MS).toISOString(),
      );
      log.debug({ day, deleted_sessions: deleted }, 'daily status snapshot written');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'daily status snapshot failed');
    }
  };
  const run = () => {
    current = once();
    return current;
  };
  const job = pattern === null ? null : new Cron(pattern, { protect: true }, run);
  void run();
  return {
    runNow: run,
    stop: async () => {
      job?.stop();
      await current;
    },
  };
}
