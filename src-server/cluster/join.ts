import type { Logger } from '../../node-lib/logger.js';
import type { CheckinCache } from '../http/checkin-cache.js';
import type { ConfigWaiters } from '../http/config-waiters.js';
import type { HostChange } from '../storage/change-tracking-store.js';
import { ChangeFeed } from './change-feed.js';

/**
 * Makes this server one of several on a PostgreSQL database: another server's change drops what this one
 * caches of it and answers the agents held here; a broken feed turns the check-in cache off until it is
 * back, then everything is re-read (what was missed meanwhile is unknown).
 */
export async function joinCluster(deps: {
  databaseUrl: string;
  checkins: CheckinCache;
  waiters: ConfigWaiters;
  /** Re-reads settings shared through the database (the organisation) before agents are answered. */
  refreshShared: () => Promise<void>;
  log: Logger;
}): Promise<ChangeFeed> {
  const { checkins, waiters, log } = deps;
  const wake = (p: Promise<void>) =>
    void p.catch((err: unknown) => log.error({ err: String(err) }, 'could not answer held agents'));
  const feed = await ChangeFeed.start({
    databaseUrl: deps.databaseUrl,
    log,
    apply: async (change: HostChange) => {
      if (change.kind === 'all') {
        await deps.refreshShared();
        checkins.onChange(change);
        wake(waiters.notifyAll());
      } else if (change.kind === 'hosts') {
        checkins.onChange(change);
        wake(waiters.notify(change.hostIds));
      }
    },
    onLost: () => checkins.bypass(true),
    onRecovered: async () => {
      await deps.refreshShared();
      checkins.bypass(false);
      wake(waiters.notifyAll());
    },
  });
  checkins.barrier = () => feed.caughtUp();
  return feed;
}
