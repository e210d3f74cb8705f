import type { OrgInfo } from '../../ipc/admin/teams.js';
import type { Logger } from '../../node-lib/logger.js';
import type { ServerSettings } from '../domain/config.js';
import type { EscrowKeySet } from '../escrow/key-files.js';
import type { DecryptabilityCheck } from '../jobs/verify-keys.js';
import type { SelfServiceContext } from '../sso/context.js';
import type { EscrowStore } from '../storage/port.js';
import type { CheckinCache } from './checkin-cache.js';
import type { ConfigWaiters } from './config-waiters.js';
import type { KeyArrivalChecks } from './key-arrival-checks.js';
import type { LogSummary } from './log-summary.js';
import type { RateLimiter, RateLimits } from './rate-limit.js';

/** How long a console session lives; whether its cookie is Secure (always, but on loopback plain HTTP). */
export interface SessionSettings {
  idleMs: number;
  absoluteMs: number;
  secureCookie: boolean;
}

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
  /** One token-bucket limiter per entry of RateLimits. */
  limits: { [K in keyof RateLimits]: RateLimiter };
  /** Decryptability checks of arriving keys, after the answer and within their own rate limits. */
  keyChecks: KeyArrivalChecks;
  /** "Wrong enroll secret", at most one line per interval however many arrive. */
  enrollRefusals: LogSummary;
  enrollSecretDigest: string;
  /** `--rotate-key-after-read`: the default of "no team"'s rotate_after_reveal until someone sets it. */
  rotateKeyAfterRead: boolean;
  sessions: SessionSettings;
  /** The organisation as agents and the console see it. */
  org(): OrgInfo;
  /** Stores a new organisation record and sends it to every agent. */
  setOrg(org: OrgInfo): Promise<void>;
  /** Where the built console lives (dist/console). */
  consoleDir: string;
  /** Milliseconds since the epoch; tests move it to expire sessions. */
  clock(): number;
  /** Single sign-on, the link page and the self-service portal (src-server/sso, src-server/portal). */
  selfService: SelfServiceContext;
}
