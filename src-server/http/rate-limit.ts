/**
 * Token buckets keyed by client (IP, admin token or person, host, email). In memory: a limit only has to hold per server
 * process, and losing the buckets on restart merely refills them.
 */
export interface RateLimit {
  /** Requests allowed at once. */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limit: RateLimit) {
    // Drop buckets that have refilled completely; they carry no information.
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Takes one token; false when the client must wait. */
  take(key: string, nowMs = Date.now()): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: nowMs };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((nowMs - b.at) / 1000) * this.limit.perSecond);
    b.at = nowMs;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    return true;
  }

  /** Whether take() would succeed now, without taking. */
  allows(key: string, nowMs = Date.now()): boolean {
    const b = this.buckets.get(key);
    if (!b) return this.limit.burst >= 1;
    return Math.min(this.limit.burst, b.tokens + ((nowMs - b.at) / 1000) * this.limit.perSecond) >= 1;
  }

  /** Gives back a token taken for something that turned out not to count (at most up to the burst). */
  refund(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(this.limit.burst, b.tokens + 1);
  }

  /** Seconds until the next token, for Retry-After. */
  retryAfterSeconds(): number {
    // A limit that never refills (tests) still sends a number: an hour.
    return this.limit.perSecond > 0 ? Math.min(3600, Math.max(1, Math.ceil(1 / this.limit.perSecond))) : 3600;
  }

  private sweep(nowMs = Date.now()): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.at) / 1000) * this.limit.perSecond >= this.limit.burst)
        this.buckets.delete(k);
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}

/**
 * Takes one token from each bucket, or none: the first limiter that says no is returned (for its
 * Retry-After) and nothing is taken, so a request refused by one limit does not use up the others.
 */
export function takeAll(takes: readonly (readonly [RateLimiter, string])[]): RateLimiter | null {
  const now = Date.now();
  for (const [limiter, key] of takes) if (!limiter.allows(key, now)) return limiter;
  for (const [limiter, key] of takes) limiter.take(key, now);
  return null;
}

export interface RateLimits {
  /** Per client IP. */
  enroll: RateLimit;
  /** Per admin token: every read hands out a recovery key. */
  keyRead: RateLimit;
  /** Per host: whether an envelope decrypts is an oracle, so submissions are scarce. */
  keySubmit: RateLimit;
  /** Every enroll attempt from every address together, taken before the secret is checked. */
  enrollGlobal: RateLimit;
  /** New hosts per enroll secret: how fast the host table may grow (a re-enroll does not count). */
  newHostsPerSecret: RateLimit;
  /** Key submissions per enroll secret, and from all hosts together (besides per host). */
  keySubmitPerSecret: RateLimit;
  keySubmitGlobal: RateLimit;
  /**
   * Decryptability checks on arrival (the oracle) per host, per enroll secret and all together. A key over
   * these waits, unchecked, until they refill (or for the hourly job); the agent's answer is the same.
   */
  keyCheckPerHost: RateLimit;
  keyCheckPerSecret: RateLimit;
  keyCheckGlobal: RateLimit;
  /** Console sign-in per email (known or not): guessing one person's password stays slow. */
  signInAccount: RateLimit;
  /** Console sign-in per client address: guessing many people's passwords stays slow. */
  signInAddress: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  enroll: { burst: 120, perSecond: 10 },
  keyRead: { burst: 20, perSecond: 1 / 6 },
  keySubmit: { burst: 10, perSecond: 1 / 60 },
  enrollGlobal: { burst: 100, perSecond: 20 },
  newHostsPerSecret: { burst: 100, perSecond: 100 / 60 },
  keySubmitPerSecret: { burst: 300, perSecond: 5 },
  keySubmitGlobal: { burst: 600, perSecond: 10 },
  keyCheckPerHost: { burst: 3, perSecond: 1 / 300 },
  keyCheckPerSecret: { burst: 60, perSecond: 1 },
  keyCheckGlobal: { burst: 120, perSecond: 2 },
  signInAccount: { burst: 5, perSecond: 1 / 60 },
  signInAddress: { burst: 20, perSecond: 1 / 6 },
};
