import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * HTTP clients for the attack tests, below fetch: a chosen source address on loopback (127.0.0.0/8 is all
 * ours, so each address is another "client"), no connection reuse, and raw sockets for what a browser-like
 * client never does (idle connections, slow bodies, Expect: 100-continue).
 */

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection, from `localAddress`; rejects on a network error or after `timeoutMs`. */
export function requestFrom(
  url: string,
  opts: {
    method?: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
    localAddress?: string;
    timeoutMs?: number;
    /** Send `content-type: application/json` with a body unless the headers say otherwise (default true). */
    jsonByDefault?: boolean;
  },
): Promise<RawAnswer> {
  const u = new URL(url);
  const payload =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path,
        method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        rejectUnauthorized: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: {
          ...(payload === undefined || opts.jsonByDefault === false
            ? {}
            : { 'content-type': 'application/json' }),
          // Always framed: Node's client sends a GET's or DELETE's body with neither length nor chunking.
          ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }),
          ...opts.headers,
        },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A plain or TLS socket to the server, connected (TLS: handshake done). */
export function openSocket(url: string, localAddress?: string): Promise<Socket> {
  const u = new URL(url);
  const port = Number(u.port);
  return new Promise((resolve, reject) => {
    const common = { host: u.hostname, port, ...(localAddress ? { localAddress } : {}) };
    const s =
      u.protocol === 'https:'
        ? tlsConnect({ ...common, rejectUnauthorized: false }, () => resolve(s))
        : netConnect(common, () => resolve(s));
    s.once('error', reject);
  });
}

/** What became of a socket: the bytes it received, and how it ended. */
export interface SocketOutcome {
  received: string;
  /** 'closed' (FIN from the server), an error code (ECONNRESET…), or 'open' when still open at the deadline. */
  end: string;
  ms: number;
}

/** Waits until the socket ends or `deadlineMs` passes (then destroys it). */
export function outcomeOf(s: Socket, deadlineMs: number): Promise<SocketOutcome> {
  const t0 = performance.now();
  let received = '';
  let error = '';
  return new Promise((resolve) => {
    const done = (end: string) => {
      clearTimeout(timer);
      resolve({ received, end, ms: Math.round(performance.now() - t0) });
    };
    const timer = setTimeout(() => {
      s.destroy();
      done('open');
    }, deadlineMs);
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', () => done(error || 'closed'));
  });
}

/** The status codes of every response head in `received` (a 100 Continue, then the final answer…). */
export function statuses(received: string): number[] {
  return [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Loopback source addresses other than 127.0.0.1, each a separate client to the server. */
export function loopbackAddress(n: number): string {
  return `127.0.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`;
}

export interface UploadOutcome {
  /** Status codes of the response heads read (a 100 Continue, then the final answer). */
  statuses: number[];
  /** The error the upload got (EPIPE, ECONNRESET…), if any. */
  writeError: string | null;
  /** How the connection ended: 'closed', an error code, or 'open' at the deadline. */
  end: string;
}

/**
 * An upload as many HTTP libraries do it: the whole body is written before the answer is read (reading
 * resumes when the write is done or failed); with `expect100`, the body is sent only after a 100 Continue,
 * and not at all when a final answer comes first. `chunked` sends no Content-Length.
 */
export async function uploadThenRead(
  url: string,
  opts: { path: string; size: number; expect100: boolean; chunked?: boolean; deadlineMs?: number },
): Promise<UploadOutcome> {
  const s = await openSocket(url);
  const body = Buffer.alloc(opts.size, 0x61);
  const head =
    `POST ${opts.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    (opts.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${opts.size}\r\n`) +
    (opts.expect100 ? 'Expect: 100-continue\r\n' : '') +
    '\r\n';
  let received = '';
  let writeError: string | null = null;
  let sent = false;
  let writing = false;
  const sendBody = () => {
    sent = true;
    writing = true;
    s.pause();
    const framed = opts.chunked
      ? Buffer.concat([Buffer.from(`${opts.size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
      : body;
    s.write(framed, (err) => {
      writing = false;
      if (err) writeError ??= (err as NodeJS.ErrnoException).code ?? err.message;
      s.resume();
    });
  };
  return new Promise((resolve) => {
    let end = '';
    const timer = setTimeout(() => {
      end = 'open';
      s.destroy();
    }, opts.deadlineMs ?? 15_000);
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (opts.expect100 && !sent && received.includes('\r\n\r\n')) {
        if (received.startsWith('HTTP/1.1 100 ')) sendBody();
        else sent = true; // a final answer: the body is never sent
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      if (writing) writeError ??= code;
      else end ||= code;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ statuses: statuses(received), writeError, end: end || 'closed' });
    });
    s.write(head);
    if (!opts.expect100) sendBody();
  });
}
