/**
 * What a renderer page may load, and which files it is served, written down once. Plain data: no
 * Electron, no Node, because three places read it:
 * - the Electron adapter forces the CSP on every response and serves the built renderer with these file
 *   types (electron/security.ts, electron/app-protocol.ts);
 * - the renderer's build writes the CSP into index.html as a meta tag (src-renderer/vite.config.ts), so
 *   the page carries it wherever it is loaded;
 * - the browser harness derives its own policy from it, relaxed only where it stands in for Electron.
 */

/** A CSP as directive → sources, so that a variant can replace one directive and keep the others. */
export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/** No inline script, no eval, no remote anything: the renderer only ever needs its own files. */
export const RENDERER_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'none'"],
  'font-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

export function serializeCsp(directives: CspDirectives): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** The header every renderer response carries. */
export const CONTENT_SECURITY_POLICY = serializeCsp(RENDERER_CSP);

/**
 * Directives a `<meta>` element cannot deliver (CSP Level 3): browsers ignore them there, and Chromium
 * logs an error in every window. Only the header carries them.
 */
const HEADER_ONLY_DIRECTIVES = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** The policy as a meta element can carry it: every directive but the header-only ones. */
export function metaCsp(directives: CspDirectives): string {
  return serializeCsp(
    Object.fromEntries(Object.entries(directives).filter(([name]) => !HEADER_ONLY_DIRECTIVES.has(name))),
  );
}

/** The tag the renderer's build puts in index.html's head (and the harness looks for, to replace it). */
export function cspMetaTag(directives: CspDirectives): string {
  return `<meta http-equiv="Content-Security-Policy" content="${metaCsp(directives)}" />`;
}

/** The kinds of file the built renderer has; nothing else is served. */
export const RENDERER_MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
