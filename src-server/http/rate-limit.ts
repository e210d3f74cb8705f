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

  /** Seconds until the next token, for Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(1 / this.limit.perSecond));
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

export interface RateLimits {
  /** Per client IP. */
  enroll: RateLimit;
  /** Per admin token: every read hands out a recovery key. */
  keyRead: RateLimit;
  /** Per host: whether an envelope decrypts is an oracle, so submissions are scarce. */
  keySubmit: RateLimit;
  /** Console sign-in per email (known or not): guessing one person's password stays slow. */
  signInAccount: RateLimit;
  /** Console sign-in per client address: guessing many people's passwords stays slow. */
  signInAddress: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  enroll: { burst: 120, perSecond: 10 },
  keyRead: { burst: 20, perSecond: 1 / 6 },
  keySubmit: { burst: 10, perSecond: 1 / 60 },
  signInAccount: { burst: 5, perSecond: 1 / 60 },
  signInAddress: { burst: 20, perSecond: 1 / 6 },
};
