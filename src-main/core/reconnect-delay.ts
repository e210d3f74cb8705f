/**
 * Reconnect delays: quick at first (the agent may just be restarting), then doubling up to a ceiling so a
 * stopped agent costs one connection attempt every half minute, not a busy loop.
 */
export interface ReconnectDelays {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RECONNECT_DELAYS: ReconnectDelays = { initialMs: 500, maxMs: 30_000 };

export function reconnectDelay(failures: number, opts: ReconnectDelays = DEFAULT_RECONNECT_DELAYS): number {
  if (failures <= 0) return 0;
  return Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(failures - 1, 30));
}
