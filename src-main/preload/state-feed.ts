import type { UiState } from '../../ipc/window-bridge/contract.js';

/**
 * The latest state pushed by main, kept by the preload (or the web bridge) from the moment the page starts
 * loading. Fetching state only once React has run would add a round trip before the dialog can be typed
 * into; with the feed, the state is usually there before the app subscribes, and it is replayed at once.
 */
export interface StateFeed {
  push(state: UiState): void;
  /** Uses `state` only if nothing was pushed yet: an initial answer must not overwrite a newer push. */
  seed(state: UiState): void;
  subscribe(listener: (state: UiState) => void): () => void;
}

export function createStateFeed(): StateFeed {
  let latest: UiState | null = null;
  const listeners = new Set<(state: UiState) => void>();
  const push = (state: UiState) => {
    latest = state;
    for (const l of listeners) l(state);
  };
  return {
    push,
    seed(state) {
      if (latest === null) push(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      const current = latest;
      if (current) queueMicrotask(() => listeners.has(listener) && listener(current));
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
