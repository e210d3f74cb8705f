import { useSyncExternalStore } from 'react';

/**
 * One polite live region for the whole console: results of searches, saves and other async work are
 * announced here, so a screen-reader user hears them without the focus moving.
 */
let message = '';
let serial = 0;
const listeners = new Set<() => void>();

export function announce(text: string): void {
  // The same words twice (two searches with the same count) must still be spoken: a zero-width
  // difference makes the region change.
  serial += 1;
  message = serial % 2 === 0 ? text : `${text}\u200b`;
  for (const l of listeners) l();
}

export function Announcer() {
  const text = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => message,
  );
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true">
      {text}
    </div>
  );
}
