import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/**
 * A router small enough to read in one go: the console has a handful of screens, each a path under
 * /admin/ with its state in the query string (so a link, a reload or "back" shows the same list). The
 * server answers every /admin/ path with index.html.
 */
export { BASE } from './safe-next.js';

import { BASE } from './safe-next.js';

export interface Location {
  /** The path below /admin, always starting with '/' ('/' is the dashboard). */
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();
let current = read();

function read(): Location {
  const { pathname, search } = window.location;
  const below = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return { path: below === '' ? '/' : below, query: new URLSearchParams(search) };
}

/** How many times the app itself changed the page; 0 on the page the browser loaded. */
let navigations = 0;
export function navigationCount(): number {
  return navigations;
}

function changed(): void {
  navigations += 1;
  current = read();
  for (const l of listeners) l();
}

window.addEventListener('popstate', changed);

/** The URL for a console path, with an optional query (empty values are left out, so URLs stay short). */
export function href(path: string, query?: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${BASE}${path === '/' ? '/' : path}${s ? `?${s}` : ''}`;
}

/** Goes to a URL made by href() (or any same-origin /admin/ URL); `replace` keeps history clean for filters. */
export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  changed();
}

/** Where the browser is now, as a URL to come back to after signing in. */
export function currentUrl(): string {
  return window.location.pathname + window.location.search;
}

export function useLocation(): Location {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

/**
 * A real link (so it opens in a new tab, copies, and reads as a link), handled in the page when it is a
 * plain click.
 */
export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={to} onClick={onClick} />;
}
