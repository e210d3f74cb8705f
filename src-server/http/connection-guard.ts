import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { MAX_WAIT_SECONDS } from '../../ipc/agent-server/orbit-api.js';
import { addressKey, isLoopbackAddress } from './client-address.js';
import { LogSummary, type SummaryLog } from './log-summary.js';

/**
 * How long a connection may take for each part of a request, and how many connections one client and all
 * clients together may hold. Node and Fastify leave most of this unbounded by default (no request timeout,
 * header timeouts checked every 30 s, a TLS handshake may take 2 minutes, no connection cap), so a client
 * that sends nothing, or a body at a byte every few seconds, kept its connection for minutes or for ever,
 * and enough of them used up the server's file descriptors.
 */
export interface ConnectionLimits {
  /** The request line and headers must have arrived within this after the connection (or the last request). */
  headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in progress is closed after this. */
  keepAliveTimeoutMs: number;
  /**
   * No byte in either direction for this long, while a request is in progress, closes the connection. Longer
   * than a held long-poll, whose connection is silent until the answer (MAX_WAIT_SECONDS).
   */
  idleTimeoutMs: number;
  /** TLS only: the handshake must be done within this. */
  tlsHandshakeTimeoutMs: number;
  /** How often Node looks for requests over their header or request time. */
  checkIntervalMs: number;
  /**
   * Open connections from one client (an IPv4 address or an IPv6 /64); more are reset at once. 0: no cap.
   * Agents behind one NAT share an address, each holding about one connection: raise it for such fleets.
   */
  maxConnectionsPerAddress: number;
  /** Whether loopback clients are capped too (a TLS proxy on the same machine is every agent at once). */
  capLoopback: boolean;
  /** Open connections in all; further ones are dropped. Default: what the open-file limit allows. */
  maxConnections: number;
}

/** File descriptors kept for the database, the escrow keys, logs and the decrypt workers. */
const RESERVED_DESCRIPTORS = 256;

export const DEFAULT_CONNECTION_LIMITS: Omit<ConnectionLimits, 'maxConnections'> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
  idleTimeoutMs: (MAX_WAIT_SECONDS + 20) * 1000,
  tlsHandshakeTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  maxConnectionsPerAddress: 1024,
  capLoopback: false,
};

/** The open-file limit of this process (Node raises the soft limit to the hard one at start), if known. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** Connections the open-file limit leaves room for, keeping some descriptors for the server itself. */
export function connectionsAllowedBy(fileLimit: number | null): number {
  if (fileLimit === null) return 10_000;
  return Math.max(64, Math.floor(fileLimit * 0.95) - RESERVED_DESCRIPTORS);
}

export function connectionLimits(partial: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const l = {
    ...DEFAULT_CONNECTION_LIMITS,
    maxConnections: connectionsAllowedBy(openFileLimit()),
    ...partial,
  };
  // Node refuses a header timeout longer than the request timeout.
  l.headersTimeoutMs = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return l;
}

/**
 * Options for http(s).createServer: the ones Node reads only at construction. Fastify sets the request,
 * keep-alive and idle timeouts again from its own options (fastifyTimeouts), after construction.
 */
export function nodeServerOptions(l: ConnectionLimits) {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkIntervalMs,
    // https only (a TLS server option; the plain server ignores it)
    handshakeTimeout: l.tlsHandshakeTimeoutMs,
  };
}

export function fastifyTimeouts(l: ConnectionLimits) {
  return {
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
  };
}

export interface ConnectionGuard {
  /** Open connections per client key (tests). */
  openFrom(address: string): number;
  stop(): void;
}

/**
 * Caps connections per client and in all. A connection over the per-client cap is reset before anything
 * reads from it (no TLS handshake, no HTTP parser); one over the total is closed by Node before it becomes
 * a socket (`maxConnections`). Both are logged at most once a minute, with counts (LogSummary).
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  log: SummaryLog,
  summaryIntervalMs = 60_000,
): ConnectionGuard {
  const open = new Map<string, number>();
  const perAddress = new LogSummary(
    log,
    'connection refused: too many open connections from one address',
    summaryIntervalMs,
  );
  const atLimit = new LogSummary(
    log,
    'connection refused: the server is at its connection limit',
    summaryIntervalMs,
  );

  server.maxConnections = limits.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) =>
    atLimit.note(addressKey(data?.remoteAddress), { ip: data?.remoteAddress, max: limits.maxConnections }),
  );

  const cap = limits.maxConnectionsPerAddress;
  if (cap > 0) {
    // The 'connection' event, intercepted rather than listened to: a refused socket must reach neither the
    // TLS layer nor the HTTP parser, which are listeners of this same event registered first.
    const emit = server.emit.bind(server);
    server.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== 'connection') return emit(event, ...args);
      const socket = args[0] as Socket;
      const address = socket.remoteAddress;
      if (!limits.capLoopback && isLoopbackAddress(address)) return emit(event, ...args);
      const key = addressKey(address);
      const n = open.get(key) ?? 0;
      if (n >= cap) {
        perAddress.note(key, { ip: address, open: n });
        socket.resetAndDestroy();
        return false;
      }
      open.set(key, n + 1);
      socket.once('close', () => {
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      });
      return emit(event, ...args);
    }) as typeof server.emit;
  }

  return {
    openFrom: (address) => open.get(addressKey(address)) ?? 0,
    stop: () => {
      perAddress.stop();
      atLimit.stop();
    },
  };
}
