import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, type ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { createLogger } from '../../node-lib/logger.js';
import type { HostChange } from '../storage/change-tracking-store.js';
import { MIGRATIONS } from '../storage/migrations/index.js';
import { openStore } from '../storage/open.js';
import { startReplicas } from '../test-support/cluster.js';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { config, enroll, envelopeFor, luksKey, type TestServer } from '../test-support/server.js';
import { VERIFY_JOB_LOCK } from './advisory-lock.js';
import { ChangeFeed, LISTENER_NAME } from './change-feed.js';

/** Three servers on one PostgreSQL, in this process (the process-level test with HAProxy is in test/). */
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const API = '/api/latest/fleet';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function admin(t: TestServer, path: string, body: unknown): Promise<Response> {
  return t.post(API + path, body, t.init.admin_token);
}

async function held(t: TestServer, nodeKey: string, after: string): Promise<ConfigResponse> {
  const res = await t.post(AGENT_API_PATHS.config, {
    orbit_node_key: nodeKey,
    wait_for_change: { after_version: after, timeout_seconds: 30 },
  });
  return (await res.json()) as ConfigResponse;
}

async function until(what: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

describe('several servers on one PostgreSQL', () => {
  it('applies migrations once when servers start together', async () => {
    const databaseUrl = await postgres.newDatabase();
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openStore({ dataDir: '/nonexistent', databaseUrl })),
    );
    await Promise.all(stores.map((s) => s.close()));
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    const rows = (await c.query('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r) => r.id);
    await c.end();
    expect(rows).toEqual(MIGRATIONS.map((m) => m.id).sort((x, y) => x - y));
  });

  it('holds a cached answer until every change announced before it has been applied here', async () => {
    const databaseUrl = await postgres.newDatabase();
    await (await openStore({ dataDir: '/nonexistent', databaseUrl })).close();
    const log = createLogger('test', { level: 'silent' });
    const applied: HostChange[] = [];
    const slow = await ChangeFeed.start({
      databaseUrl,
      log,
      // A replica whose event loop is busy: what it hears takes 400 ms to apply.
      apply: async (change) => {
        await sleep(400);
        applied.push(change);
      },
      onLost: () => undefined,
      onRecovered: async () => undefined,
    });
    const writer = await ChangeFeed.start({
      databaseUrl,
      log,
      apply: async () => undefined,
      onLost: () => undefined,
      onRecovered: async () => undefined,
    });
    try {
      await writer.announce({ kind: 'hosts', hostIds: [5, 6] });
      await writer.announce({ kind: 'all' });
      await slow.caughtUp();
      expect(applied).toEqual([{ kind: 'hosts', hostIds: [5, 6] }, { kind: 'all' }]);
      // Nothing new: no wait.
      const started = Date.now();
      await slow.caughtUp();
      expect(Date.now() - started).toBeLessThan(300);
    } finally {
      await Promise.all([slow.close(), writer.close()]);
    }
  });

  it('reads through C a key escrowed through A, and wakes agents held on A and C after a change on B', async () => {
    const cluster = await startReplicas(await postgres.newDatabase(), 3);
    const [a, b, c] = cluster.replicas as [TestServer, TestServer, TestServer];
    try {
      const one = await enroll(a);
      const two = await enroll(c);
      const key = luksKey(7);
      const stored = await a.post(AGENT_API_PATHS.luksData, {
        orbit_node_key: one.nodeKey,
        key_slot: 1,
        salt: 's',
        base64_encrypted: await envelopeFor(a, one.nodeKey, key),
        client_error: '',
      });
      expect(stored.status).toBe(204);
      const read = (await (
        await c.get(`${API}/hosts/${one.hostId}/encryption_key?reason=cluster%20test`, c.init.admin_token)
      ).json()) as { encryption_key: { key: string } };
      expect(read.encryption_key.key).toBe(key);

      // Both cached on their replicas before the change.
      const before = await config(c, two.nodeKey);
      expect(before.notifications.run_disk_encryption_escrow).toBe(false);
      const heldOnA = held(a, two.nodeKey, before.config_version);
      const heldOnC = held(c, two.nodeKey, before.config_version);
      await until(() => a.server.waitingAgents() === 1 && c.server.waitingAgents() === 1);
      const started = Date.now();
      expect(
        (await admin(b, '/disk_encryption', { team_id: null, enable_disk_encryption: true })).status,
      ).toBe(204);
      const [woke1, woke2] = await Promise.all([heldOnA, heldOnC]);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(woke1.notifications.run_disk_encryption_escrow).toBe(true);
      expect(woke2.notifications.run_disk_encryption_escrow).toBe(true);
    } finally {
      await cluster.close();
    }
  });

  it('never serves a stale config after a write acknowledged by any replica (random writes and reads)', async () => {
    const cluster = await startReplicas(await postgres.newDatabase(), 3, {
      metrics: { host: '127.0.0.1', port: 0 },
    });
    const rs = cluster.replicas;
    try {
      const first = rs[0] as TestServer;
      const teams: (number | null)[] = [null];
      for (const name of ['Berlin', 'Lisbon']) {
        const res = await admin(first, '/teams', { name });
        teams.push(((await res.json()) as { team: { id: number } }).team.id);
      }
      const hosts = [
        await enroll(first),
        await enroll(rs[1] as TestServer),
        await enroll(rs[2] as TestServer),
      ];
      const enabled = new Map<number | null, boolean>(teams.map((t) => [t, false]));
      const teamOf = new Map<number, number | null>(hosts.map((h) => [h.hostId, null]));
      const step = fc.oneof(
        fc.record({
          kind: fc.constant('switch' as const),
          team: fc.nat(2),
          on: fc.boolean(),
          via: fc.nat(2),
        }),
        fc.record({ kind: fc.constant('move' as const), team: fc.nat(2), host: fc.nat(2), via: fc.nat(2) }),
        fc.record({ kind: fc.constant('read' as const), host: fc.nat(2), via: fc.nat(2) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
          for (const s of steps) {
            const via = rs[s.via] as TestServer;
            if (s.kind === 'switch') {
              const team = teams[s.team] as number | null;
              const res = await admin(via, '/disk_encryption', {
                team_id: team,
                enable_disk_encryption: s.on,
              });
              expect(res.status).toBe(204);
              enabled.set(team, s.on);
            } else if (s.kind === 'move') {
              const team = teams[s.team] as number | null;
              const host = hosts[s.host] as { hostId: number };
              const res = await admin(via, '/hosts/transfer', { team_id: team, hosts: [host.hostId] });
              expect(res.status).toBe(200);
              teamOf.set(host.hostId, team);
            } else {
              const host = hosts[s.host] as { hostId: number; nodeKey: string };
              const got = await config(via, host.nodeKey);
              expect(got.notifications.run_disk_encryption_escrow).toBe(
                enabled.get(teamOf.get(host.hostId) ?? null),
              );
            }
          }
        }),
        { numRuns: 15 },
      );
      // The cache did answer: the property is about a cache, not about reading the database every time.
      const hits = await Promise.all(rs.map((r) => metric(r, 'escrow_checkin_cache_hits')));
      expect(hits.reduce((n, h) => n + h, 0)).toBeGreaterThan(0);
    } finally {
      await cluster.close();
    }
  });

  it('bypasses its cache while its listening connection is gone, and is ready again once it is back', async () => {
    const databaseUrl = await postgres.newDatabase();
    const cluster = await startReplicas(databaseUrl, 2);
    const [a, b] = cluster.replicas as [TestServer, TestServer];
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const host = await enroll(a);
      expect((await config(a, host.nodeKey)).notifications.run_disk_encryption_escrow).toBe(false);
      // Kills both replicas' listeners (same application_name); A must notice and stop trusting its cache.
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        LISTENER_NAME,
      ]);
      await until(async () => (await fetch(`${a.url}/readyz`)).status === 503);
      // B writes while nobody listens: its notification reaches no one.
      expect(
        (await admin(b, '/disk_encryption', { team_id: null, enable_disk_encryption: true })).status,
      ).toBe(204);
      expect((await config(a, host.nodeKey)).notifications.run_disk_encryption_escrow).toBe(true);
      await until(async () => (await fetch(`${a.url}/readyz`)).status === 200);
      expect(
        (await admin(b, '/disk_encryption', { team_id: null, enable_disk_encryption: false })).status,
      ).toBe(204);
      expect((await config(a, host.nodeKey)).notifications.run_disk_encryption_escrow).toBe(false);
      const listeners = await c.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [LISTENER_NAME],
      );
      expect(listeners.rows[0].n).toBe(2);
    } finally {
      await c.end();
      await cluster.close();
    }
  });

  it('runs the verification job on one server at a time; when its runner dies, the next one finishes it', async () => {
    const databaseUrl = await postgres.newDatabase();
    const cluster = await startReplicas(databaseUrl, 2, { metrics: { host: '127.0.0.1', port: 0 } });
    const [a, b] = cluster.replicas as [TestServer, TestServer];
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const hosts = [await enroll(a), await enroll(a)];
      // Stored without their arrival check: the job's work.
      for (const h of hosts) {
        await a.server.store.storeKey(h.hostId, {
          base64_encrypted: await envelopeFor(a, h.nodeKey, luksKey(h.hostId)),
          key_slot: 1,
          salt: 's',
          decryptable: null,
          escrow_id: null,
        });
      }
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const runA = a.server.verifyKeysNow(async () => {
        await gate;
        return true;
      });
      await until(async () => (await metric(a, 'escrow_verify_running')) === 1);
      const runB = b.server.verifyKeysNow(async () => true);
      await until(async () => (await metric(b, 'escrow_verify_waiting_for_lock')) === 1);
      await sleep(300);
      expect(await metric(b, 'escrow_verify_running')).toBe(0);
      expect(await metric(b, 'escrow_verify_waiting_for_lock')).toBe(1);
      // A's database session ends as it does when its process is killed: PostgreSQL frees the lock.
      await c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1",
        [VERIFY_JOB_LOCK],
      );
      const byB = await runB;
      expect(byB.checked).toBe(2);
      release();
      await runA.catch(() => undefined);
      const left = await c.query(
        'SELECT count(*)::int AS n FROM host_disk_encryption_keys WHERE decryptable IS NULL',
      );
      expect(left.rows[0].n).toBe(0);
      expect(await metric(b, 'escrow_verify_runs_total{outcome="finished"}')).toBe(1);
    } finally {
      await c.end();
      await cluster.close();
    }
  });
});

async function metric(t: TestServer, name: string): Promise<number> {
  const text = await (await fetch(t.server.metricsUrl ?? '')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : Number.NaN;
}
