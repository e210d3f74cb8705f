import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { ServerUnavailableError } from '../platform-port.js';

/** Larger answers than this are not ours (a config with its certificate is a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JsonResponse {
  status: number;
  body: unknown;
  /** The Retry-After header in milliseconds (delay-seconds or an HTTP date), null when absent or unreadable. */
  retryAfterMs: number | null;
}

/** Failures where nothing answered: the server or the network is down (see ServerUnavailableError). */
const NO_ANSWER = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
]);

export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

// node:http rather than fetch: undici keeps a 1 s housekeeping timer running while a request is open, so a
// held long-poll would wake an idle agent every second. A plain socket waits silently.
// At most one idle connection is kept (the long-poll's, reused at once): the extra ones an escrow opened
// would otherwise sit on the server until its keep-alive timeout and wake the agent when it closes them.
const options = { keepAlive: true, maxSockets: 4, maxFreeSockets: 1 };
const agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };

/** TLS's verdicts on a server certificate (Node's error codes): the server answered, we do not trust it. */
const CERTIFICATE_REFUSED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * An https agent that also trusts `caPem` (an organisation's own CA, or a self-signed server certificate),
 * besides the public roots Node ships: `escrow-agent run --ca-file`.
 */
export function httpsAgentTrusting(caPem: string): https.Agent {
  return new https.Agent({ ...options, ca: [...tls.rootCertificates, caPem] });
}

/**
 * One JSON POST. Network failures and timeouts become ServerUnavailableError; any HTTP status is returned
 * for the caller to judge. The body is returned unparsed-by-schema: callers validate it with zod.
 */
export function postJson(
  url: string,
  body: unknown,
  opts: { timeoutMs: number; signal?: AbortSignal; httpsAgent?: https.Agent },
): Promise<JsonResponse> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ServerUnavailableError('cancelled'));
      return;
    }
    const req = lib.request(target, {
      method: 'POST',
      agent: target.protocol === 'https:' ? (opts.httpsAgent ?? agents['https:']) : agents['http:'],
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': payload.length,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    // One timer for the whole exchange (a socket idle timeout would also do, but not bound a slow trickle).
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('no answer in time'));
    }, opts.timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      const why = code ?? err.message;
      // "socket hang up" (no code name of its own): the connection closed before any answer.
      const noAnswer = !timedOut && (NO_ANSWER.has(code ?? '') || /hang up/.test(err.message));
      if (CERTIFICATE_REFUSED.has(code ?? '')) {
        reject(
          new ServerUnavailableError(
            `the escrow server's certificate is not trusted (${code}: ${err.message}); if your organisation ` +
              'signs it with its own CA, or it is self-signed, give that certificate with --ca-file ' +
              '(ESCROW_CA_FILE in /etc/escrow-agent/agent.conf)',
            'untrusted_certificate',
          ),
        );
        return;
      }
      reject(
        new ServerUnavailableError(
          `cannot reach the escrow server: ${err.name === 'AbortError' ? 'cancelled' : why}`,
          timedOut ? 'timeout' : noAnswer ? 'no_answer' : 'server_error',
        ),
      );
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response too large'));
        else chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        if (text === '') return resolve({ status, body: null, retryAfterMs });
        try {
          resolve({ status, body: JSON.parse(text) as unknown, retryAfterMs });
        } catch {
          resolve({ status, body: text.slice(0, 200), retryAfterMs });
        }
      });
    });
    req.end(payload);
  });
}
