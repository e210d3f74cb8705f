import type { Logger } from '../../node-lib/logger.js';
import type { ServerSettings } from '../domain/config.js';
import type { EscrowKeySet } from '../escrow/key-files.js';
import type { DecryptabilityCheck } from '../jobs/verify-keys.js';
import type { EscrowStore } from '../storage/port.js';
import type { CheckinCache } from './checkin-cache.js';
import type { ConfigWaiters } from './config-waiters.js';
import type { RateLimiter } from './rate-limit.js';

/** What the route handlers share; built once by startServer. */
export interface ServerContext {
  store: EscrowStore;
  log: Logger;
  escrowKeys(): EscrowKeySet;
  /** Re-reads the escrow-keys directory; true when a new generation appeared. */
  refreshEscrowKeys(): Promise<boolean>;
  /** Whether an envelope opens to a key of the platform's shape (on worker threads when built). */
  checkDecryptable: DecryptabilityCheck;
  settings(): ServerSettings;
  /** Node-key digest → host and prepared config, for check-ins (kept current by the store's change feed). */
  checkins: CheckinCache;
  waiters: ConfigWaiters;
  limits: { enroll: RateLimiter; keyRead: RateLimiter; keySubmit: RateLimiter };
  enrollSecretDigest: string;
  rotateKeyAfterRead: boolean;
}
