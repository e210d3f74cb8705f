/**
 * Reconnect delays: quick at first (the agent may just be restarting), then doubling up to a ceiling so a
 * stopped agent costs one connection attempt every half minute, not a busy loop.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export function backoffDelay(failures: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  if (failures <= 0) return 0;
  return Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(failures - 1, 30));
}
