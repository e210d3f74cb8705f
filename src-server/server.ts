import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type pino from 'pino';
import type { OrgInfo } from '../ipc/admin/teams.js';
import { errorMessage } from '../node-lib/error-message.js';
import { createLogger } from '../node-lib/logger.js';
import { AdvisoryLock, VERIFY_JOB_LOCK } from './cluster/advisory-lock.js';
import { joinCluster } from './cluster/join.js';
import { claimSqliteDataDir } from './cluster/sqlite-owner.js';
import { buildConfig, type ServerSettings } from './domain/config.js';
import { agentOrgInfo, DEFAULT_ORG, ORG_SETTING, parseOrg } from './domain/org.js';
import { isDecryptable } from './escrow/key-check.js';
import { type EscrowKeySet, loadEscrowKeys } from './escrow/key-files.js';
import { selfCheckEscrowKeys } from './escrow/key-self-check.js';
import { buildApp } from './http/app.js';
import { CheckinCache } from './http/checkin-cache.js';
import { ConfigWaiters } from './http/config-waiters.js';
import { type ConnectionLimits, connectionLimits, openFileLimit } from './http/connection-guard.js';
import { defaultConsoleDir } from './http/console.js';
import type { ServerContext } from './http/context.js';
import { recordVerification } from './http/host-events.js';
import { KeyArrivalChecks } from './http/key-arrival-checks.js';
import { LogSummary } from './http/log-summary.js';
import { PreparedConfigs } from './http/prepared-configs.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './http/rate-limit.js';
import { scheduleDailySnapshots } from './jobs/daily-snapshot.js';
import { DecryptPool } from './jobs/decrypt-pool.js';
import {
  type DecryptabilityCheck,
  scheduleKeyVerification,
  type VerifyRunResult,
  verifyUncheckedKeys,
} from './jobs/verify-keys.js';
import { registerOperations, startMetricsListener, VerifyJobMetrics } from './operations/routes.js';
import { CALLBACK_PATH, type SsoOptions, selfServiceLimits } from './sso/context.js';
import { OidcClient } from './sso/oidc.js';
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
  /** The organisation until one is stored (`PATCH /config`, `escrow-server set-org`), which then wins. */
  orgInfo?: Partial<OrgInfo>;
  /**
   * Ask the host for a new key after someone revealed it: the default of "no team"'s rotate_after_reveal
   * until it is set through the API (teams have their own). Off by default.
   */
  rotateKeyAfterRead?: boolean;
  /** Console sessions: idle timeout (default 30 min) and absolute lifetime (default 12 h). */
  sessions?: { idleMinutes?: number; absoluteHours?: number };
  /** The built console (default: dist/console of this checkout). */
  consoleDir?: string;
  /** croner pattern rewriting today's status snapshot; default hourly; false: only once at startup. */
  snapshotSchedule?: string | false;
  /** Time source (ms since the epoch) for sessions and the dashboard; tests move it. */
  clock?: () => number;
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
  /** Single sign-on (OpenID Connect) for the console, the link page and the self-service portal. */
  sso?: SsoOptions;
  /** Refuse email + password sign-in (single sign-on and break-glass links only). Needs `sso`. */
  disablePasswordLogin?: boolean;
  /**
   * The URL people's browsers and the identity provider reach this server at (behind a proxy, or a name
   * other than the listen address); the redirect URI is this + /sso/callback. Default: the listen URL.
   */
  publicUrl?: string;
  /** Load balancers whose X-Forwarded-For gives the client's address (addresses or CIDRs). */
  trustedProxies?: readonly string[];
  /** Where `GET /metrics` (Prometheus) is served; nowhere unless given (never on the public listener). */
  metrics?: { host: string; port: number };
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
  /** Rewrites today's status snapshot now (the hourly job does the same). */
  writeSnapshotNow(): Promise<void>;
  /** Every route the server answers (method and path pattern), for tests. */
  routes: readonly { method: string; url: string }[];
  store: EscrowStore;
  /** http://host:port/metrics when `metrics` was given. */
  metricsUrl: string | null;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.disablePasswordLogin && !opts.sso) {
    throw new Error('--disable-password-login needs single sign-on (--oidc-issuer …): nobody could sign in');
  }
  // Known once listening (port 0 in tests) unless given.
  let listenUrl = '';
  const publicUrl = () => (opts.publicUrl ?? listenUrl).replace(/\/+$/, '');
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
  const clock = opts.clock ?? Date.now;
  const orgFallback: OrgInfo = { ...DEFAULT_ORG, ...opts.orgInfo };
  let org = orgFallback;
  // One settings object per escrow-key generation and organisation, so per-request work can be memoized on it.
  let currentSettings: ServerSettings = {
    escrowCertificatePem: keys.current.certificatePem,
    orgInfo: agentOrgInfo(org),
  };
  const settings = () => currentSettings;
  const configs = new PreparedConfigs();
  const prepare = (view: HostView, s: ServerSettings) => configs.prepare(buildConfig(view, s));
  // Every write goes through the change feed, so the check-in cache can never outlive what it caches.
  let onChange = (_change: HostChange) => {};
  // One server per SQLite file; on PostgreSQL, writes are announced to the other servers (cluster/).
  const sqliteOwner = opts.databaseUrl ? null : await claimSqliteDataDir(opts.dataDir);
  let cluster: Awaited<ReturnType<typeof joinCluster>> | null = null;
  const store: EscrowStore = new ChangeTrackingStore(
    await openStore({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl }).catch(async (err) => {
      await sqliteOwner?.release();
      throw err;
    }),
    (change) => onChange(change),
    opts.databaseUrl ? async (change) => cluster?.announce(change) : undefined,
  );
  const checkins = new CheckinCache((hash) => store.findHostByNodeKeyHash(hash), prepare, settings);
  onChange = checkins.onChange;
  const enrollSecretDigest = await store.getSetting(ENROLL_SECRET_SETTING);
  if (!enrollSecretDigest) {
    await store.close();
    await sqliteOwner?.release();
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
  /** Takes the stored organisation (set by the API, or by the CLI while we run); agents hear of a change. */
  const refreshOrg = async (stored: string | null) => {
    const next = parseOrg(stored, orgFallback);
    if (JSON.stringify(next) === JSON.stringify(org)) return;
    org = next;
    currentSettings = { escrowCertificatePem: keys.current.certificatePem, orgInfo: agentOrgInfo(org) };
    await waiters.notifyAll();
  };
  await refreshOrg(await store.getSetting(ORG_SETTING));
  const setOrg = async (next: OrgInfo) => {
    await store.putSetting(ORG_SETTING, JSON.stringify(next));
    await refreshOrg(JSON.stringify(next));
  };
  if (opts.databaseUrl) {
    cluster = await joinCluster({
      databaseUrl: opts.databaseUrl,
      checkins,
      waiters,
      refreshShared: async () => refreshOrg(await store.getSetting(ORG_SETTING)),
      log,
    });
  }
  const refreshEscrowKeys = async () => {
    const next = await loadEscrowKeys(opts.dataDir);
    if (next.current.generation === keys.current.generation) return false;
    keys = next;
    currentSettings = { escrowCertificatePem: keys.current.certificatePem, orgInfo: agentOrgInfo(org) };
    log.info({ generation: keys.current.generation }, 'escrow certificate rotated; agents get the new one');
    await waiters.notifyAll();
    return true;
  };
  const limits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  const idleMinutes = opts.sessions?.idleMinutes ?? 30;
  const absoluteHours = opts.sessions?.absoluteHours ?? 12;
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
    onChecked: (hostId, decryptable) => {
      void waiters.notify([hostId]);
      void recordVerification(store, hostId, decryptable).catch((err: unknown) =>
        log.error({ err: errorMessage(err) }, 'could not record a verification event'),
      );
    },
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
    // Plain HTTP is allowed on loopback only (above), so "Secure unless loopback plain HTTP" is "if TLS".
    sessions: {
      idleMs: idleMinutes * 60_000,
      absoluteMs: absoluteHours * 3_600_000,
      secureCookie: Boolean(opts.tls),
    },
    org: () => org,
    setOrg,
    consoleDir: opts.consoleDir ?? defaultConsoleDir(),
    clock,
    selfService: {
      oidc: opts.sso
        ? new OidcClient({
            issuer: opts.sso.issuer,
            clientId: opts.sso.clientId,
            clientSecret: opts.sso.clientSecret,
            scopes: opts.sso.scopes ?? 'email profile',
            redirectUri: () => `${publicUrl()}${CALLBACK_PATH}`,
          })
        : null,
      options: opts.sso ?? null,
      passwordLoginDisabled: opts.disablePasswordLogin ?? false,
      publicUrl: () => publicUrl(),
      limits: selfServiceLimits(),
    },
  };

  const https = opts.tls
    ? { cert: await readFile(opts.tls.certPath), key: await readFile(opts.tls.keyPath) }
    : null;
  const connections = connectionLimits(opts.connections);
  const app = buildApp(ctx, https, connections, opts.trustedProxies);
  // On PostgreSQL one server at a time runs the job; the others wait their turn (cluster/advisory-lock.ts).
  const verifyLock = opts.databaseUrl
    ? new AdvisoryLock(opts.databaseUrl, VERIFY_JOB_LOCK, 'escrow-server key verification')
    : null;
  const verifyMetrics = new VerifyJobMetrics();
  const verifyKeysNow = (check: DecryptabilityCheck = checkDecryptable) =>
    verifyMetrics.track(() => (verifyLock ? verifyLock.run(() => verifyAll(check)) : verifyAll(check)));
  const verifyAll = (check: DecryptabilityCheck) =>
    verifyUncheckedKeys({
      store,
      keys: () => keys.all,
      check,
      concurrency: pool?.size ?? 1,
      onChanged: (id, decryptable) => {
        void waiters.notify([id]);
        void recordVerification(store, id, decryptable).catch((err: unknown) =>
          log.error({ err: errorMessage(err) }, 'could not record a verification event'),
        );
      },
    });
  const renderMetrics = registerOperations(app, {
    store,
    escrowKeyLoaded: () => keys.all.length > 0,
    clusterListening: () => cluster?.listening ?? true,
    clusterChangesReceived: () => cluster?.received ?? 0,
    waitingAgents: () => waiters.size,
    checkins,
    verify: verifyMetrics,
    verifyRunning: () => (verifyLock ? verifyLock.holding : verifyMetrics.running),
    verifyWaitingForLock: () => verifyLock?.waiting ?? false,
  });
  const schedule =
    opts.verifySchedule === false
      ? null
      : scheduleKeyVerification(opts.verifySchedule ?? '0 * * * *', verifyKeysNow, log);
  const snapshots = scheduleDailySnapshots(
    opts.snapshotSchedule === false ? null : (opts.snapshotSchedule ?? '17 * * * *'),
    store,
    clock,
    log,
  );
  // The same poll picks up a certificate from rotate-escrow-cert and an organisation from set-org.
  const keyPoll = setInterval(
    () =>
      void refreshEscrowKeys()
        .then(async () => refreshOrg(await store.getSetting(ORG_SETTING)))
        .catch((err: Error) => log.error({ err: err.message }, 'escrow key / organisation reload failed')),
    (opts.escrowKeysPollSeconds ?? 10) * 1000,
  );
  keyPoll.unref();

  try {
    await app.listen({ host, port: opts.port ?? 0, backlog: LISTEN_BACKLOG });
  } catch (err) {
    clearInterval(keyPoll);
    await verifyLock?.stop();
    await schedule?.stop();
    await cluster?.close();
    await sqliteOwner?.release();
    await snapshots.stop();
    await pool?.close();
    await store.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${https ? 'https' : 'http'}://${urlHost}:${port}`;
  listenUrl = url;
  const metrics = opts.metrics
    ? await startMetricsListener(opts.metrics.host, opts.metrics.port, renderMetrics)
    : null;
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
    writeSnapshotNow: () => snapshots.runNow(),
    metricsUrl: metrics?.url ?? null,
    routes: (app as unknown as { registeredRoutes: { method: string; url: string }[] }).registeredRoutes,
    close: () => {
      closing ??= (async () => {
        clearInterval(keyPoll);
        await metrics?.close();
        await verifyLock?.stop();
        await schedule?.stop();
        await snapshots.stop();
        for (const l of Object.values(ctx.limits)) l.stop();
        for (const l of Object.values(ctx.selfService.limits)) l.stop();
        await waiters.releaseAll();
        await app.close();
        await keyChecks.stop();
        ctx.enrollRefusals.stop();
        await pool?.close();
        await cluster?.close();
        await store.close();
        await sqliteOwner?.release();
        log.info('escrow server stopped');
      })();
      return closing;
    },
  };
}
