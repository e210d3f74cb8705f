import net from 'node:net';
import os from 'node:os';

/**
 * While nothing answers at the server's address (connection refused or reset, no route, no DNS), waiting out
 * a long backoff would keep a queued key on the laptop for minutes after the server or the network is back.
 * Instead the agent looks every few seconds, cheaply and without HTTP: has the set of network addresses
 * changed (a network came back, a VPN came up)? does the server's port accept a TCP connection again? Either
 * ends the wait at once. Refused connections cost the server nothing, so this does not defeat the backoff
 * that protects a server that answers with errors or "slow down" (those keep their backoff).
 *
 * The looks get rarer as the outage lasts (every outage-length/20, from 1 s up to 5 s, with jitter), so a
 * laptop offline for hours wakes no more often than every 5 s, the agent's idle budget.
 */
export interface ReachabilityOptions {
  /** Where the server listens (from its URL). */
  host: string;
  port: number;
  minMs?: number;
  maxMs?: number;
  /** A summary of this machine's network addresses; defaults to os.networkInterfaces(). */
  addresses?: () => string;
  /** Resolves true when a TCP connection to host:port is accepted within timeoutMs. */
  connect?: (host: string, port: number, timeoutMs: number) => Promise<boolean>;
  random?: () => number;
}

export type ReturnSignal = 'server_back' | 'network_changed' | 'deadline' | 'woken';

export function serverAddress(serverUrl: string): { host: string; port: number } {
  const u = new URL(serverUrl);
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Waits until the server accepts connections again, the network changes, `deadlineMs` (epoch ms) passes,
 * or `wake` is called. `outageStartMs` sets how often it looks. With `needDownFirst`, an accepted connection
 * counts only after one was refused: after an attempt that failed although the port accepted (a proxy in
 * front of a dead server, a half-started one), only a real down-and-up ends the wait early.
 */
export function waitForReturn(
  o: ReachabilityOptions,
  outageStartMs: number,
  deadlineMs: number,
  needDownFirst: boolean,
): { done: Promise<ReturnSignal>; wake: () => void } {
  const minMs = o.minMs ?? 1_000;
  const maxMs = o.maxMs ?? 5_000;
  const addresses = o.addresses ?? networkAddresses;
  const connect = o.connect ?? tcpConnects;
  const random = o.random ?? Math.random;
  let timer: NodeJS.Timeout | null = null;
  let finish: (s: ReturnSignal) => void = () => {};
  const done = new Promise<ReturnSignal>((resolve) => {
    let settled = false;
    finish = (s) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(s);
    };
    const before = addresses();
    let sawDown = !needDownFirst;
    const look = async () => {
      if (settled) return;
      const now = Date.now();
      if (now >= deadlineMs) return finish('deadline');
      if (addresses() !== before) return finish('network_changed');
      const interval = nextInterval(now);
      const up = await connect(o.host, o.port, Math.min(interval, 3_000)).catch(() => false);
      if (settled) return;
      if (up && sawDown) return finish('server_back');
      if (!up) sawDown = true;
      schedule();
    };
    const nextInterval = (now: number) =>
      Math.min(maxMs, Math.max(minMs, (now - outageStartMs) / 20)) * (0.75 + random() * 0.5);
    const schedule = () => {
      const now = Date.now();
      timer = setTimeout(look, Math.max(0, Math.min(nextInterval(now), deadlineMs - now)));
    };
    schedule();
  });
  return { done, wake: () => finish('woken') };
}

/** Non-internal interface addresses, sorted: changes when a network comes up or goes away. */
export function networkAddresses(): string {
  const out: string[] = [];
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(`${name} ${a.address}`);
  }
  return out.sort().join(',');
}

function tcpConnects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
