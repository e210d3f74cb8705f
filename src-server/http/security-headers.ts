import { serializeConsoleCsp } from '../../ipc/admin/console-policy.js';

/**
 * Headers on every response (API, console, agent API, errors). The API answers JSON only, so its policy
 * forbids everything; the console's files get the console's own policy (CONSOLE_CSP). No inline script
 * anywhere.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The console's policy, the one the console's build also writes into its page (ipc/admin/console-policy.ts). */
export const CONSOLE_CSP = serializeConsoleCsp();

export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': API_CSP,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    // Answers carry keys and personal data: never cached unless a route says otherwise (console assets).
    'cache-control': 'no-store',
    // HSTS only means something over TLS (and browsers ignore it over plain HTTP anyway).
    ...(tls ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}
