import { useEffect, useState } from 'react';
import type { UiState } from '../src-main/bridge/contract.js';
import { escrowApi } from './api.js';

/** The main process's UI state: fetched once, then kept current by pushes. */
export function useUiState(): UiState | null {
  const [state, setState] = useState<UiState | null>(null);
  useEffect(() => {
    const api = escrowApi();
    let live = true;
    const stop = api.subscribe((s) => {
      if (live) setState(s);
    });
    void api.getState().then((r) => {
      if (live && r.ok) setState((current) => current ?? r.state);
    });
    return () => {
      live = false;
      stop();
    };
  }, []);
  return state;
}
