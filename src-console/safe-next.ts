/** The console's own paths start here (the server serves it at /admin/). */
export const BASE = '/admin';

/**
 * Only console paths may be the page to open after sign-in (?next=): anything else (another origin,
 * `//evil.example`, a `javascript:` URL, a backslash that some parsers read as a slash) would make the
 * sign-in page an open redirect. The sign-in page itself is no destination either.
 */
export function safeNext(next: string | null): string {
  if (!next?.startsWith(`${BASE}/`) || next.startsWith('//') || /[\\\s]/.test(next)) return `${BASE}/`;
  if (next === `${BASE}/sign-in` || next.startsWith(`${BASE}/sign-in?`)) return `${BASE}/`;
  return next;
}
