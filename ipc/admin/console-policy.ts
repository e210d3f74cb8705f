/**
 * What the console's page may load, written down once as plain data (no imports): the contract between
 * the server, which sends it as the header of every console file, and the console's build, which writes it
 * into index.html as a meta tag (without frame-ancestors, which a meta tag cannot carry). The browser tests
 * hold both to it.
 *
 * connect-src 'self' is the one difference from the desktop renderer's policy: the console talks to the
 * server that served it, and to nothing else. form-action 'self' lets the sign-in form fall back to a
 * plain POST if script ever failed; nothing else submits anywhere.
 */
export const CONSOLE_CSP: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export function serializeConsoleCsp(directives = CONSOLE_CSP): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** The meta tag's variant: frame-ancestors is header-only (CSP Level 3), and Chromium logs an error for it. */
export function consoleMetaCsp(): string {
  return serializeConsoleCsp(
    Object.fromEntries(Object.entries(CONSOLE_CSP).filter(([name]) => name !== 'frame-ancestors')),
  );
}
