import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, type ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { encryptToCertificate } from '../../node-lib/cms/index.js';
import { loadEscrowKeys } from '../escrow/key-files.js';
import { type InitResult, initDataDir } from '../init.js';
import { openStore } from '../storage/open.js';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { luksKey } from '../test-support/server.js';

/**
 * The proof, with real processes: PostgreSQL, three `escrow-server serve` processes (bin/, built
 * dist/) and Debian's HAProxy in front of them, all on loopback ports. The in-process tests beside this one
 * cover the same mechanisms more finely; this one shows they hold between programs and through a load
 * balancer, including a replica killed with SIGKILL in the middle of the verification job.
 */
const BIN = resolve('bin/escrow-server');
const UNCHECKED_KEYS = 3000;
const API = '/api/latest/fleet';

let postgres: TestPostgres;
let databaseUrl: string;
let dataDir: string;
let init: InitResult;
let haproxy: ChildProcess;
let balancer: string;
const replicas: { child: ChildProcess; url: string; metrics: string }[] = [];

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? done(a.port) : fail(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: () => Promise<T | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what().catch(() => false as const);
    if (v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(100);
  }
}

async function startReplica(): Promise<{ child: ChildProcess; url: string; metrics: string }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--data-dir',
      dataDir,
      '--database',
      databaseUrl,
      '--listen',
      `127.0.0.1:${port}`,
      '--metrics-listen',
      `127.0.0.1:${metricsPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000).catch(() => {
    throw new Error(`replica did not become ready: ${err}`);
  });
  return { child, url, metrics: `http://127.0.0.1:${metricsPort}/metrics` };
}

function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function enroll(base: string): Promise<{ nodeKey: string; hostname: string }> {
  const uuid = randomUUID();
  const hostname = `h-${uuid.slice(0, 8)}`;
  const res = await post(base, AGENT_API_PATHS.enroll, {
    enroll_secret: init.enroll_secret,
    hardware_uuid: uuid,
    hardware_serial: `S-${uuid.slice(0, 8)}`,
    hostname,
    platform: 'linux',
    os_version: 'Debian 12',
  });
  expect(res.status).toBe(200);
  return { nodeKey: ((await res.json()) as { orbit_node_key: string }).orbit_node_key, hostname };
}

async function config(base: string, nodeKey: string, extra: object = {}): Promise<ConfigResponse> {
  const res = await post(base, AGENT_API_PATHS.config, { orbit_node_key: nodeKey, ...extra });
  expect(res.status).toBe(200);
  return (await res.json()) as ConfigResponse;
}

beforeAll(async () => {
  if (!existsSync(resolve('dist/src-server/cli.js'))) throw new Error('run `npm run build` first');
  postgres = await startPostgres();
  databaseUrl = await postgres.newDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'escrow-haproxy-'));
  init = await initDataDir({ dataDir, databaseUrl });
  // Keys stored without their arrival check: work for the verification job the replicas start with.
  const store = await openStore({ dataDir, databaseUrl });
  const cert = (await loadEscrowKeys(dataDir)).current.certificatePem;
  const envelope = (await encryptToCertificate(Buffer.from(luksKey(1), 'latin1'), cert)).toString('base64');
  for (let i = 0; i < UNCHECKED_KEYS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const uuid = randomUUID();
        const { hostId } = await store.enrollHost(
          {
            hardware_uuid: uuid,
            hardware_serial: `B${i + j}`,
            hostname: `bulk-${i + j}`,
            platform: 'linux',
            os_version: 'Debian 12',
          },
          `bulk-${uuid}`,
        );
        await store.storeKey(hostId, {
          base64_encrypted: envelope,
          key_slot: 1,
          salt: 's',
          decryptable: null,
          escrow_id: null,
        });
      }),
    );
  }
  await store.close();
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
  const port = await freePort();
  const cfg = join(dataDir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 90s',
      '  timeout server 90s',
      '  option redispatch',
      '  retries 3',
      'frontend escrow',
      `  bind 127.0.0.1:${port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      ...replicas.map(
        (r, n) => `  server r${n} ${r.url.replace('http://', '')} check inter 500 fall 2 rise 2`,
      ),
      '',
    ].join('\n'),
  );
  haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let haproxyErr = '';
  haproxy.stderr?.on('data', (d: Buffer) => {
    haproxyErr += d.toString();
  });
  balancer = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${balancer}/readyz`)).status === 200, 30_000).catch(() => {
    throw new Error(`HAProxy did not forward: ${haproxyErr}`);
  });
}, 240_000);

afterAll(async () => {
  haproxy?.kill('SIGKILL');
  for (const r of replicas) r.child.kill('SIGTERM');
  await sleep(500);
  for (const r of replicas) r.child.kill('SIGKILL');
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('three replicas behind HAProxy on one PostgreSQL', () => {
  it('finishes the verification job on another replica when the one running it is killed mid-run', async () => {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const unchecked = async () =>
        Number(
          (
            await db.query(
              'SELECT count(*)::int AS n FROM host_disk_encryption_keys WHERE decryptable IS NULL',
            )
          ).rows[0].n,
        );
      // The runner is the session holding the job's advisory lock; its application_name carries its pid.
      const runner = await until(async () => {
        const r = await db.query(
          `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'escrow-server key verification%'`,
        );
        const pid = Number(/pid (\d+)/.exec(r.rows[0]?.application_name ?? '')?.[1]);
        return pid > 0 ? pid : false;
      });
      await until(async () => (await unchecked()) < UNCHECKED_KEYS);
      const victim = replicas.find((r) => r.child.pid === runner);
      expect(victim).toBeDefined();
      victim?.child.kill('SIGKILL');
      const leftAtKill = await unchecked();
      expect(leftAtKill).toBeGreaterThan(0);
      replicas.splice(replicas.indexOf(victim as (typeof replicas)[number]), 1);
      await until(async () => (await unchecked()) === 0, 120_000);
      const stats = await db.query(
        'SELECT count(*)::int AS n FROM host_disk_encryption_keys WHERE decryptable = 1',
      );
      expect(stats.rows[0].n).toBe(UNCHECKED_KEYS);
      // The load balancer routes around the dead replica.
      for (let i = 0; i < 6; i++) expect((await fetch(`${balancer}/readyz`)).status).toBe(200);
      // And a fresh one takes its place.
      replicas.push(await startReplica());
    } finally {
      await db.end();
    }
  }, 240_000);

  it('reads through C a key escrowed through A, and through the balancer', async () => {
    const [a, , c] = replicas as [(typeof replicas)[0], unknown, (typeof replicas)[0]];
    const host = await enroll(a.url);
    const cfg = await config(a.url, host.nodeKey);
    const key = luksKey(99);
    const envelope = (
      await encryptToCertificate(Buffer.from(key, 'latin1'), cfg.escrow_certificate)
    ).toString('base64');
    const stored = await post(a.url, AGENT_API_PATHS.luksData, {
      orbit_node_key: host.nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: envelope,
      client_error: '',
    });
    expect(stored.status).toBe(204);
    const id = await hostId(c.url, host.hostname);
    for (const base of [c.url, balancer]) {
      const res = await fetch(`${base}${API}/hosts/${id}/encryption_key?reason=cluster%20test`, {
        headers: { authorization: `Bearer ${init.admin_token}` },
      });
      expect(((await res.json()) as { encryption_key: { key: string } }).encryption_key.key).toBe(key);
    }
  });

  it('answers agents held on A and C within 2 s of a team change on B, and on the balancer', async () => {
    const [a, b, c] = replicas as [(typeof replicas)[0], (typeof replicas)[0], (typeof replicas)[0]];
    const team = (await (
      await post(b.url, `${API}/teams`, { name: 'Haproxy' }, init.admin_token)
    ).json()) as {
      team: { id: number };
    };
    const hosts = [await enroll(a.url), await enroll(c.url), await enroll(balancer)];
    const ids = await Promise.all(hosts.map((h) => hostId(b.url, h.hostname)));
    expect(
      (await post(b.url, `${API}/hosts/transfer`, { team_id: team.team.id, hosts: ids }, init.admin_token))
        .status,
    ).toBe(200);
    const held = Promise.all(
      hosts.map(async (h, n) => {
        const base = [a.url, c.url, balancer][n] as string;
        const before = await config(base, h.nodeKey);
        expect(before.notifications.run_disk_encryption_escrow).toBe(false);
        return config(base, h.nodeKey, {
          wait_for_change: { after_version: before.config_version, timeout_seconds: 30 },
        });
      }),
    );
    await until(async () => {
      const counts = await Promise.all([a, c].map((r) => metricValue(r.metrics, 'escrow_held_long_polls')));
      return counts.reduce((x, y) => x + y, 0) >= 2;
    });
    const started = Date.now();
    const changed = await post(
      b.url,
      `${API}/disk_encryption`,
      { team_id: team.team.id, enable_disk_encryption: true },
      init.admin_token,
    );
    expect(changed.status).toBe(204);
    const answers = await held;
    expect(Date.now() - started).toBeLessThan(2000);
    for (const answer of answers) expect(answer.notifications.run_disk_encryption_escrow).toBe(true);
  });

  it('serves /metrics only on the metrics address, in Prometheus text', async () => {
    const r = replicas[0] as (typeof replicas)[0];
    expect((await fetch(`${r.url}/metrics`)).status).toBe(404);
    const text = await (await fetch(r.metrics)).text();
    expect(text).toMatch(/^escrow_http_requests_total\{route="\/readyz",method="GET",status="200"\} \d+$/m);
    expect(text).toMatch(/^escrow_hosts\{status="[a-z_]+"\} \d+$/m);
    expect(text).toContain('escrow_cluster_listening 1');
  });
});

async function hostId(base: string, hostname: string): Promise<number> {
  const res = await fetch(`${base}${API}/hosts?query=${hostname}`, {
    headers: { authorization: `Bearer ${init.admin_token}` },
  });
  const body = (await res.json()) as { hosts: { id: number; hostname: string }[] };
  const h = body.hosts.find((x) => x.hostname === hostname);
  if (!h) throw new Error(`no host ${hostname}`);
  return h.id;
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}
