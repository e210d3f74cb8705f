import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { CheckinCache } from '../http/checkin-cache.js';
import type { VerifyRunResult } from '../jobs/verify-keys.js';
import type { EscrowStore } from '../storage/port.js';
import { Counter, gauge, Histogram } from './metrics.js';

/** The verification job as metrics see it: runs, answers, failures, and whether one is going on. */
export class VerifyJobMetrics {
  readonly runs = new Counter('escrow_verify_runs_total', 'Verification job runs by outcome.');
  readonly answers = new Counter('escrow_verify_keys_checked_total', 'Keys the verification job checked.');
  running = false;
  lastFinished = 0;

  /** Wraps one run. */
  async track(run: () => Promise<VerifyRunResult>): Promise<VerifyRunResult> {
    this.running = true;
    try {
      const r = await run();
      this.runs.inc({ outcome: 'finished' });
      this.answers.inc({ answer: 'decryptable' }, r.decryptable);
      this.answers.inc({ answer: 'undecryptable' }, r.undecryptable);
      this.lastFinished = Date.now() / 1000;
      return r;
    } catch (err) {
      this.runs.inc({ outcome: 'failed' });
      throw err;
    } finally {
      this.running = false;
    }
  }
}

export interface OperationsDeps {
  store: EscrowStore;
  escrowKeyLoaded: () => boolean;
  /** Hearing other servers' changes (always true for one server on SQLite). */
  clusterListening: () => boolean;
  clusterChangesReceived: () => number;
  waitingAgents: () => number;
  checkins: CheckinCache;
  verify: VerifyJobMetrics;
  /** Checking keys now (on PostgreSQL: holding the job's lock, not waiting for it). */
  verifyRunning: () => boolean;
  verifyWaitingForLock: () => boolean;
}

/**
 * `/healthz` (the process answers) and `/readyz` (it can serve: database reachable, escrow key loaded,
 * cluster feed listening) for load balancers, on the public listener: they say nothing but ok or which
 * check failed. Request counts and latency are recorded here for /metrics, which is served only on its own
 * listener (startMetricsListener), never on the public one.
 */
export function registerOperations(app: FastifyInstance, deps: OperationsDeps): () => Promise<string> {
  const requests = new Counter('escrow_http_requests_total', 'HTTP requests by route, method and status.');
  const latency = new Histogram(
    'escrow_http_request_duration_seconds',
    'HTTP request time by route, method and status (held long-polls included).',
  );
  app.addHook('onResponse', (req, reply, done) => {
    const labels = {
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', async (_req, reply) => {
    const failed: string[] = [];
    await deps.store.getSetting('enroll_secret_sha256').catch(() => failed.push('database'));
    if (!deps.escrowKeyLoaded()) failed.push('escrow key');
    if (!deps.clusterListening()) failed.push('cluster change feed');
    return reply
      .code(failed.length ? 503 : 200)
      .type('text/plain')
      .send(failed.length ? `not ready: ${failed.join(', ')}\n` : 'ready\n');
  });
  return async () => {
    const byStatus = new Map<string, number>();
    for (const c of await deps.store.statusCounts({}).catch(() => [])) {
      byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + c.hosts);
    }
    const c = deps.checkins;
    return `${[
      requests.render(),
      latency.render(),
      gauge('escrow_held_long_polls', 'Agents holding a config long-poll on this server.', [
        [{}, deps.waitingAgents()],
      ]),
      gauge('escrow_checkin_cache_hits', 'Check-ins answered from memory since start.', [[{}, c.hits]]),
      gauge('escrow_checkin_cache_misses', 'Check-ins read from the database since start.', [[{}, c.misses]]),
      gauge('escrow_checkin_cache_hit_ratio', 'Hits / (hits + misses) since start.', [
        [{}, c.hits + c.misses ? c.hits / (c.hits + c.misses) : 0],
      ]),
      gauge('escrow_checkin_cache_entries', 'Hosts in the check-in cache.', [[{}, c.size]]),
      deps.verify.runs.render(),
      deps.verify.answers.render(),
      gauge('escrow_verify_running', '1 while this server runs the verification job.', [
        [{}, deps.verifyRunning() ? 1 : 0],
      ]),
      gauge('escrow_verify_waiting_for_lock', '1 while another server runs it and this one waits.', [
        [{}, deps.verifyWaitingForLock() ? 1 : 0],
      ]),
      gauge('escrow_verify_last_finished_seconds', 'When a run last finished here (Unix time).', [
        [{}, deps.verify.lastFinished],
      ]),
      gauge(
        'escrow_hosts',
        'Hosts by disk encryption status (whole fleet).',
        [...byStatus].map(([status, n]) => [{ status }, n]),
      ),
      gauge('escrow_cluster_listening', '1 while changes of other servers are heard.', [
        [{}, deps.clusterListening() ? 1 : 0],
      ]),
      gauge('escrow_cluster_changes_received', 'Changes heard from other servers since start.', [
        [{}, deps.clusterChangesReceived()],
      ]),
    ].join('\n')}\n`;
  };
}

/** `GET /metrics` on its own address (`--metrics-listen`), so it is never public by accident. */
export async function startMetricsListener(
  host: string,
  port: number,
  render: () => Promise<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    render().then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? a.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
