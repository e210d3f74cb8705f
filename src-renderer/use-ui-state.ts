import { useSyncExternalStore } from 'react';
import type { UiState } from '../ipc/window-bridge/contract.js';
import { escrowApi } from './api.js';

/**
 * The main process's UI state, as pushed to this window. The preload (or the web bridge) has usually
 * received it before the app's script runs, and replays it in a microtask: listening starts when the
 * script starts (`listenForUiState`, before React's first render), so the first render already shows the
 * window instead of a "Loading…" render followed by a second one.
 */
let current: UiState | null = null;
const listeners = new Set<() => void>();
let listening = false;

export function listenForUiState(): void {
  if (listening) return;
  listening = true;
  escrowApi().subscribe((state) => {
    current = state;
    for (const l of listeners) l();
  });
}

function subscribe(listener: () => void): () => void {
  listenForUiState();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => current;

export function useUiState(): UiState | null {
  return useSyncExternalStore(subscribe, snapshot);
}
