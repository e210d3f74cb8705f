import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client.js';

export interface Resource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** Fetches again (after a change), keeping the old data on screen meanwhile. */
  reload(): void;
}

/**
 * Loads something for a screen; a newer load (the filters changed) aborts the older one, so a slow answer
 * to an old search can never replace the answer to the new one.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps say when to load again.
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    loadRef.current(ctl.signal).then(
      (d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [...deps, round]);

  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}
