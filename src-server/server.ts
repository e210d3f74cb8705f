import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type pino from 'pino';
import { createLogger } from '../node-lib/logger.js';
import { buildConfig, type ServerSettings } from './domain/config.js';
import { isDecryptable } from './escrow/key-check.js';
import { type EscrowKeySet, loadEscrowKeys } from './escrow/key-files.js';
import { selfCheckEscrowKeys } from './escrow/key-self-check.js';
import { buildApp } from './http/app.js';
import { CheckinCache } from './http/checkin-cache.js';
import { ConfigWaiters } from './http/config-waiters.js';
import { type ConnectionLimits, connectionLimits, openFileLimit } from './http/connection-guard.js';
import type { ServerContext } from './http/context.js';
import { KeyArrivalChecks } from './http/key-arrival-checks.js';
import { LogSummary } from './http/log-summary.js';
import { PreparedConfigs } from './http/prepared-configs.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './http/rate-limit.js';
import { DecryptPool } from './jobs/decrypt-pool.js';
import {
  type DecryptabilityCheck,
  scheduleKeyVerification,
  type VerifyRunResult,
  verifyUncheckedKeys,
} from './jobs/verify-keys.js';
import { ChangeTrackingStore, type HostChange } from './storage/change-tracking-store.js';
import { openStore } from './storage/open.js';
import type { EscrowStore, HostView } from './storage/port.js';

export const ENROLL_SECRET_SETTING = 'enroll_secret_sha256';

/**
 * Connections waiting to be accepted. Node's default (511) overflows when thousands of agents connect at
 * once (every held long-poll reconnecting after a restart or a network blip), and on a busy server the
 * overflowed ones end in resets. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

export interface StartServerOptions {
  dataDir: string;
  /** Default 127.0.0.1, port 0 (any free port). */
  host?: string;
  port?: number;
  /** postgres://… ; SQLite in dataDir when absent. */
  databaseUrl?: string;
  /** Required unless host is a loopback address. */
  tls?: { certPath: string; keyPath: string };
  orgInfo?: { org_name: string; contact_url: string };
  /** Ask the host for a new key after an admin read it. Off by default. */
  rotateKeyAfterRead?: boolean;
  rateLimits?: Partial<RateLimits>;
  /** croner pattern for the verification job; default hourly; false disables the schedule. */
  verifySchedule?: string | false;
  logLevel?: string;
  /** Where logs go (tests capture them); stdout by default. */
  logDestination?: pino.DestinationStream;
  /** Worker threads for decryptability checks; default one per CPU, 0 checks on the HTTP thread. */
  verifyWorkers?: number;
  /** Seconds between checks of the escrow-keys directory for a rotated certificate. */
  escrowKeysPollSeconds?: number;
  /** A warning anyone can cause (a wrong enroll secret, a refused connection) is logged once per this. */
  logSummarySeconds?: number;
  /** Header, body, keep-alive and idle timeouts and connection caps; see DEFAULT_CONNECTION_LIMITS. */
  connections?: Partial<ConnectionLimits>;
}

export interface RunningServer {
  /** http(s)://host:port, no trailing slash. */
  url: string;
  /** Releases held long-polls, stops jobs, closes HTTP and the database. */
  close(): Promise<void>;
  /** One run of the decryptability job now (the hourly schedule runs the same). */
  verifyKeysNow(check?: DecryptabilityCheck): Promise<VerifyRunResult>;
  /** Re-reads escrow-keys/ (after rotate-escrow-cert); agents waiting get the new certificate. */
  reloadEscrowKeys(): Promise<boolean>;
  /** Held config long-polls right now (bench and tests). */
  waitingAgents(): number;
  /** Resolves once every arrived key waiting for its decryptability check has been checked (tests). */
  keyChecksSettled(): Promise<void>;
  /** Every route the server answers (method and path pattern), for tests. */
  routes: readonly { method: string; url: string }[];
  store: EscrowStore;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!opts.tls && !isLoopback(host)) {
    throw new Error(
      `plain HTTP is allowed only on loopback; give --tls-cert and --tls-key to listen on ${host}`,
    );
  }
  const log = createLogger('escrow-server', {
    ...(opts.logLevel ? { level: opts.logLevel } : {}),
    ...(opts.logDestination ? { destination: opts.logDestination } : {}),
  });
  let keys: EscrowKeySet = await loadEscrowKeys(opts.dataDir);
  const orgInfo = opts.orgInfo ?? { org_name: 'Escrow Desktop', contact_url: '' };
  // One settings object per escrow-key generation, so per-request work can be memoized on it.
  let currentSettings: ServerSettings = { escrowCertificatePem: keys.current.certificatePem, orgInfo };
  const settings = () => currentSettings;
  const configs = new PreparedConfigs();
  const prepare = (view: HostView, s: ServerSettings) => configs.prepare(buildConfig(view, s));
  // Every write goes through the change feed, so the check-in cache can never outlive what it caches.
  let onChange = (_change: HostChange) => {};
  const store: EscrowStore = new ChangeTrackingStore(
    await openStore({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl }),
    (change) => onChange(change),
  );
  const checkins = new CheckinCache((hash) => store.findHostByNodeKeyHash(hash), prepare, settings);
  onChange = checkins.onChange;
  const enrollSecretDigest = await store.getSetting(ENROLL_SECRET_SETTING);
  if (!enrollSecretDigest) {
    await store.close();
    throw new Error('no enroll secret in the database; run escrow-server init first');
  }
  const waiters = new ConfigWaiters(
    async (hostId) => {
      const view = await store.getHostView(hostId);
      return view ? prepare(view, settings()) : null;
    },
    async (hostIds) => {
      const wanted = new Set(hostIds);
      const views = (await store.listHostViews({})).filter((v) => wanted.has(v.host.id));
      const s = settings();
      return new Map(views.map((v) => [v.host.id, prepare(v, s)]));
    },
  );
  const refreshEscrowKeys = async () => {
    const next = await loadEscrowKeys(opts.dataDir);
    if (next.current.generation === keys.current.generation) return false;
    keys = next;
    currentSettings = { escrowCertificatePem: keys.current.certificatePem, orgInfo };
    log.info({ generation: keys.current.generation }, 'escrow certificate rotated; agents get the new one');
    await waiters.notifyAll();
    return true;
  };
  const limits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  const pool = DecryptPool.create(opts.verifyWorkers ?? availableParallelism());
  const checkDecryptable = pool?.check ?? isDecryptable;
  if (!(await selfCheckEscrowKeys(keys.current, checkDecryptable, pool?.size ?? 1))) {
    log.error(
      { generation: keys.current.generation },
      'the current escrow private key cannot open what is encrypted to its certificate: every key agents send will be stored as not decryptable',
    );
  }
  const limiters = Object.fromEntries(
    Object.entries(limits).map(([name, limit]) => [name, new RateLimiter(limit)]),
  ) as ServerContext['limits'];
  const keyChecks = new KeyArrivalChecks({
    store,
    check: checkDecryptable,
    keys: () => keys.all,
    refreshKeys: refreshEscrowKeys,
    limits: {
      perHost: limiters.keyCheckPerHost,
      perSecret: limiters.keyCheckPerSecret,
      global: limiters.keyCheckGlobal,
    },
    onChecked: (hostId) => void waiters.notify([hostId]),
    log,
  });
  const ctx: ServerContext = {
    store,
    log,
    escrowKeys: () => keys,
    refreshEscrowKeys,
    checkDecryptable,
    settings,
    checkins,
    waiters,
    limits: limiters,
    keyChecks,
    enrollRefusals: new LogSummary(
      log,
      'enroll refused: wrong enroll secret',
      (opts.logSummarySeconds ?? 60) * 1000,
    ),
    enrollSecretDigest,
    rotateKeyAfterRead: opts.rotateKeyAfterRead ?? false,
  };

  const https = opts.tls
    ? { cert: await readFile(opts.tls.certPath), key: await readFile(opts.tls.keyPath) }
    : null;
  const connections = connectionLimits(opts.connections);
  const app = buildApp(ctx, https, connections);
  const verifyKeysNow = (check: DecryptabilityCheck = checkDecryptable) =>
    verifyUncheckedKeys({
      store,
      keys: () => keys.all,
      check,
      concurrency: pool?.size ?? 1,
      onChanged: (id) => void waiters.notify([id]),
    });
  const schedule =
    opts.verifySchedule === false
      ? null
      : scheduleKeyVerification(opts.verifySchedule ?? '0 * * * *', verifyKeysNow, log);
  const keyPoll = setInterval(
    () =>
      void refreshEscrowKeys().catch((err: Error) =>
        log.error({ err: err.message }, 'escrow key reload failed'),
      ),
    (opts.escrowKeysPollSeconds ?? 10) * 1000,
  );
  keyPoll.unref();

  try {
    await app.listen({ host, port: opts.port ?? 0, backlog: LISTEN_BACKLOG });
  } catch (err) {
    clearInterval(keyPoll);
    await schedule?.stop();
    await pool?.close();
    await store.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${https ? 'https' : 'http'}://${urlHost}:${port}`;
  log.info(
    {
      url,
      database: opts.databaseUrl ? 'postgres' : 'sqlite',
      max_connections: connections.maxConnections,
      max_connections_per_address: connections.maxConnectionsPerAddress,
      open_file_limit: openFileLimit(),
    },
    'escrow server listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    store,
    verifyKeysNow,
    reloadEscrowKeys: refreshEscrowKeys,
    waitingAgents: () => waiters.size,
    keyChecksSettled: () => keyChecks.settled(),
    routes: (app as unknown as { registeredRoutes: { method: string; url: string }[] }).registeredRoutes,
    close: () => {
      closing ??= (async () => {
        clearInterval(keyPoll);
        await schedule?.stop();
        for (const l of Object.values(ctx.limits)) l.stop();
        await waiters.releaseAll();
        await app.close();
        await keyChecks.stop();
        ctx.enrollRefusals.stop();
        await pool?.close();
        await store.close();
        log.info('escrow server stopped');
      })();
      return closing;
    },
  };
}
