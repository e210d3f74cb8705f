/**
 * Exponential retry with full jitter: a random delay between 0 and min(max, base·2^attempt). The jitter
 * spreads thousands of agents that lost the server at the same moment, so they do not all return at once.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  // Never below half the base: a server that refuses connections instantly must not cause a busy loop.
  return Math.max(policy.baseMs / 2, Math.floor(random() * ceiling));
}
