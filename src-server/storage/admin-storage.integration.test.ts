import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { storeAdapters } from '../test-support/store-adapters.js';
import { MIGRATIONS, migrationSql } from './migrations/index.js';
import { openStore } from './open.js';
import type { EscrowStore } from './port.js';
import { openPostgres } from './postgres.js';
import type { HostIdentity } from './records.js';
import { openSqlite } from './sqlite.js';

/** What the admin console needs from the store, on both databases (the same suite, as for the rest). */
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const identity = (i: number, over: Partial<HostIdentity> = {}): HostIdentity => ({
  hardware_uuid: `uuid-${String(i).padStart(4, '0')}`,
  hardware_serial: `SER${i}`,
  hostname: `Laptop-${String(i).padStart(3, '0')}`,
  platform: i % 2 ? 'darwin' : 'linux',
  os_version: 'x',
  ...over,
});

describe.each(storeAdapters(() => postgres))('admin storage on $name', (adapter) => {
  let store: EscrowStore;
  let cleanup: () => void;
  let reopen: () => Promise<EscrowStore>;
  beforeEach(async () => {
    const opened = await adapter.open();
    ({ store, cleanup } = opened);
    reopen = () =>
      openStore({
        dataDir: opened.dir,
        ...('databaseUrl' in opened ? { databaseUrl: opened.databaseUrl as string } : {}),
      });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  async function fleet(n: number) {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push((await store.enrollHost(identity(i), `nk-${i}`)).hostId);
    return ids;
  }

  it('keeps the stored status current on every write, and records each change as a host event', async () => {
    const [id] = await fleet(1);
    const hostId = id as number;
    expect((await store.getHostView(hostId))?.host.disk_encryption_status).toBe('unmanaged');
    await store.setDiskEncryption(null, true);
    expect((await store.getHostView(hostId))?.host.disk_encryption_status).toBe('action_required');
    await store.storeKey(hostId, {
      base64_encrypted: 'QQ==',
      key_slot: 1,
      salt: 's',
      decryptable: null,
      escrow_id: null,
    });
    expect((await store.getHostView(hostId))?.host.disk_encryption_status).toBe('verifying');
    const v = (await store.getHostView(hostId))?.key?.version ?? 0;
    await store.setDecryptable([{ hostId, version: v, decryptable: true }]);
    expect((await store.getHostView(hostId))?.host.disk_encryption_status).toBe('verified');
    await store.recordClientError(hostId, 'boom');
    expect((await store.getHostView(hostId))?.host.disk_encryption_status).toBe('failed');
    const events = await store.listActivities({ hostId, type: 'disk_encryption_status_changed', limit: 10 });
    expect(events.map((e) => [e.details.from, e.details.to])).toEqual([
      ['verified', 'failed'],
      ['verifying', 'verified'],
      ['action_required', 'verifying'],
      ['unmanaged', 'action_required'],
    ]);
    expect(events[0]).toMatchObject({
      actor: 'system',
      actor_kind: 'system',
      host_id: hostId,
      team_id: null,
    });
  });

  it('searches, filters, orders and pages by keyset; counts with the same filter', async () => {
    const ids = await fleet(12);
    const team = await store.createTeam('T');
    await store.transferHosts(team.id, ids.slice(0, 4));
    const page = (after?: { value: string | number; id: number }) =>
      store.searchHosts({ filter: {}, order: { key: 'hostname', direction: 'desc' }, limit: 5, after });
    const first = await page();
    expect(first.map((v) => v.host.hostname)).toEqual([
      'Laptop-011',
      'Laptop-010',
      'Laptop-009',
      'Laptop-008',
      'Laptop-007',
    ]);
    const last = first.at(-1);
    const second = await page({ value: last?.host.hostname ?? '', id: last?.host.id ?? 0 });
    expect(second[0]?.host.hostname).toBe('Laptop-006');
    expect(await store.countHosts({ query: 'laptop-01' })).toBe(2);
    expect(await store.countHosts({ query: 'UUID-0003' })).toBe(1);
    expect(await store.countHosts({ query: '%' })).toBe(0);
    expect(await store.countHosts({ query: "'" })).toBe(0);
    expect(await store.countHosts({ platform: 'darwin' })).toBe(6);
    expect(await store.countHosts({ teamId: team.id })).toBe(4);
    expect(await store.countHosts({ teamId: null })).toBe(8);
    expect(await store.countHosts({ scope: [team.id] })).toBe(4);
    expect(await store.countHosts({ scope: [] })).toBe(0);
    expect(await store.countHosts({ status: 'unmanaged' })).toBe(12);
    const offset = await store.searchHosts({
      filter: {},
      order: { key: 'id', direction: 'asc' },
      limit: 3,
      offset: 9,
    });
    expect(offset.map((v) => v.host.id)).toEqual(ids.slice(9, 12));
    expect((await store.findHostByIdentifier('SER3', null))?.host.id).toBe(ids[3]);
    expect((await store.findHostByIdentifier('Laptop-003', [team.id]))?.host.id).toBe(ids[3]);
    expect(await store.findHostByIdentifier('Laptop-005', [team.id])).toBeNull();
  });

  it('counts by status × platform × team, writes daily snapshots and reads them back', async () => {
    const ids = await fleet(4);
    const team = await store.createTeam('T', true);
    await store.transferHosts(team.id, ids.slice(0, 2));
    // "No team" first (NULL sorts differently in the two databases; the store orders it as 0).
    expect(await store.statusCounts({})).toEqual([
      { status: 'unmanaged', platform: 'darwin', team_id: null, hosts: 1 },
      { status: 'unmanaged', platform: 'linux', team_id: null, hosts: 1 },
      { status: 'enforcing', platform: 'darwin', team_id: team.id, hosts: 1 },
      { status: 'action_required', platform: 'linux', team_id: team.id, hosts: 1 },
    ]);
    await store.writeDailySnapshot('2026-05-01');
    await store.writeDailySnapshot('2026-05-02');
    await store.writeDailySnapshot('2026-05-02'); // rewriting a day replaces it
    const all = await store.listDailySnapshots({ fromDay: '2026-05-02' });
    expect(all).toEqual([
      { day: '2026-05-02', status: 'action_required', hosts: 1 },
      { day: '2026-05-02', status: 'enforcing', hosts: 1 },
      { day: '2026-05-02', status: 'unmanaged', hosts: 2 },
    ]);
    expect(
      await store.listDailySnapshots({ fromDay: '2026-01-01', teamId: null, platform: 'linux' }),
    ).toEqual([
      { day: '2026-05-01', status: 'unmanaged', hosts: 1 },
      { day: '2026-05-02', status: 'unmanaged', hosts: 1 },
    ]);
    expect(await store.listDailySnapshots({ fromDay: '2026-01-01', scope: [team.id] })).toHaveLength(4);
    const q = {
      filter: {},
      seenBefore: '2000-01-01T00:00:00.000Z',
      enrolledBefore: '2000-01-01T00:00:00.000Z',
      deferralsAtLeast: 3,
    };
    expect((await store.attentionCandidates(q, 10)).map((v) => v.host.id)).toEqual([ids[0]]);
    expect(await store.countAttentionCandidates(q)).toBe(1);
    // A Mac whose user keeps postponing the log-out is a candidate from the third time on; an unmanaged
    // one (a report that raced with escrow being turned off) is not.
    const report = (deferrals: number) =>
      JSON.stringify({
        platform: 'darwin',
        boot_volume_encrypted: false,
        agent_version: '1',
        logout_deferrals: deferrals,
      });
    await store.saveStatusReport(ids[1] as number, report(2), { logout_deferrals: 2 });
    await store.saveStatusReport(ids[3] as number, report(5), { logout_deferrals: 5 });
    expect(await store.countAttentionCandidates(q)).toBe(1);
    await store.saveStatusReport(ids[1] as number, report(3), { logout_deferrals: 3 });
    expect((await store.attentionCandidates(q, 10)).map((v) => v.host.id)).toEqual([ids[0], ids[1]]);
    expect((await store.getHostView(ids[1] as number))?.host.logout_deferrals).toBe(3);
  });

  it('turning escrow on: the change is committed before the statuses follow, and a restart finishes them', async () => {
    const ids = await fleet(2);
    const [linux, mac] = ids as [number, number];
    const status = async (s: EscrowStore, id: number) =>
      (await s.getHostView(id))?.host.disk_encryption_status;
    let during: unknown;
    await store.setDiskEncryption(
      null,
      true,
      {},
      {
        beforeStatusRefresh: async (hostIds) => {
          const v = await store.getHostView(linux);
          during = { hostIds, enabled: v?.encryption_enabled, status: v?.host.disk_encryption_status };
        },
      },
    );
    // What the agents are told is already true; the console's stored status is re-derived after.
    expect(during).toEqual({ hostIds: ids, enabled: true, status: 'unmanaged' });
    expect([await status(store, linux), await status(store, mac)]).toEqual(['action_required', 'enforcing']);

    // The statuses follow even when telling the agents failed.
    await expect(
      store.setDiskEncryption(
        null,
        false,
        {},
        { beforeStatusRefresh: () => Promise.reject(new Error('boom')) },
      ),
    ).rejects.toThrow('boom');
    expect(await status(store, linux)).toBe('unmanaged');

    // The server dies while the agents are being told: the next start re-derives the statuses and records
    // their changes as host events.
    let release = () => {};
    let reached = () => {};
    const atCallback = new Promise<void>((r) => {
      reached = r;
    });
    const killed = store.setDiskEncryption(
      null,
      true,
      {},
      {
        beforeStatusRefresh: () => {
          reached();
          return new Promise<void>((r) => {
            release = r;
          });
        },
      },
    );
    await atCallback;
    expect(await status(store, linux)).toBe('unmanaged');
    const restarted = await reopen();
    try {
      expect(await status(restarted, linux)).toBe('action_required');
      const events = await restarted.listActivities({ hostId: linux, limit: 10 });
      expect(events[0]).toMatchObject({
        type: 'disk_encryption_status_changed',
        details: { to: 'action_required' },
      });
    } finally {
      await restarted.close();
    }
    release();
    await killed;
    expect(await status(store, mac)).toBe('enforcing');
  });

  it('keeps the person an agent last reported at the screen, searchable, and the log-out deferrals', async () => {
    const [id] = await fleet(1);
    const hostId = id as number;
    const find = async (query: string) =>
      (
        await store.searchHosts({ filter: { query }, order: { key: 'hostname', direction: 'asc' }, limit: 5 })
      ).map((v) => v.host.id);
    const save = (facts: { logged_in_user?: string | null; logout_deferrals?: number | null }) =>
      store.saveStatusReport(
        hostId,
        JSON.stringify({ platform: 'linux', boot_volume_encrypted: true }),
        facts,
      );
    expect(await find('grace')).toEqual([]);
    await save({ logged_in_user: 'Grace.Hopper', logout_deferrals: 1 });
    expect(await find('grace.h')).toEqual([hostId]); // search is case-insensitive
    expect(await find('hopper')).toEqual([hostId]);
    expect((await store.getHostView(hostId))?.host).toMatchObject({
      logged_in_user: 'Grace.Hopper',
      logout_deferrals: 1,
    });
    // Logged out (null) or an agent that does not say (undefined): still her laptop.
    await save({ logged_in_user: null, logout_deferrals: null });
    await save({});
    expect(await find('hopper')).toEqual([hostId]);
    expect((await store.getHostView(hostId))?.host).toMatchObject({
      logged_in_user: 'Grace.Hopper',
      logout_deferrals: null,
    });
    await save({ logged_in_user: 'alan' });
    expect(await find('hopper')).toEqual([]);
    expect(await find('alan')).toEqual([hostId]);
    // The host's own identity is still searchable beside the person.
    expect(await find(identity(0).hardware_serial.toLowerCase())).toEqual([hostId]);
  });

  it('stores people, sessions and scoped, expiring, revocable tokens', async () => {
    const u = await store.createUser({
      email: 'a@x.example',
      name: 'A',
      role: 'helpdesk',
      teams: [3, 4],
      password_hash: 'h',
    });
    expect(u).toMatchObject({ email: 'a@x.example', teams: [3, 4], disabled: false, last_sign_in_at: null });
    expect(
      await store.createUser({
        email: 'a@x.example',
        name: '',
        role: 'admin',
        teams: null,
        password_hash: 'h',
      }),
    ).toBeNull();
    expect(
      await store.updateUser(u?.id ?? 0, { role: 'observer', teams: null, disabled: true }),
    ).toMatchObject({
      role: 'observer',
      teams: null,
      disabled: true,
    });
    const s = {
      user_id: u?.id ?? 0,
      created_at: 't0',
      last_seen_at: 't0',
      expires_at: 't9',
      ip: '::1',
      user_agent: 'ua',
    };
    await store.createSession({ ...s, id_hash: 'h1' });
    await store.createSession({ ...s, id_hash: 'h2' });
    await store.touchSession('h1', 't1');
    expect(await store.findSession('h1')).toMatchObject({ last_seen_at: 't1', revoked_at: null });
    await store.revokeSession('h1', 'signed out');
    expect(await store.findSession('h1')).toMatchObject({ revoked_reason: 'signed out' });
    expect(await store.revokeUserSessions(u?.id ?? 0, 'x')).toBe(1);
    expect(await store.deleteEndedSessions('t99')).toBe(2);
    expect(await store.deleteUser(u?.id ?? 0)).toBe(true);
    const id = await store.addAdminToken('d', {
      role: 'maintainer',
      name: 'n',
      teams: [1],
      expires_at: '2030-01-01T00:00:00.000Z',
    });
    expect(await store.findAdminToken('d')).toMatchObject({
      id,
      role: 'maintainer',
      teams: [1],
      revoked_at: null,
    });
    expect(await store.revokeAdminToken(id)).toBe(true);
    expect(await store.revokeAdminToken(id)).toBe(false);
    expect((await store.listAdminTokens())[0]).not.toHaveProperty('token_hash');
  });

  it('filters activities by actor, host, type, team scope and time', async () => {
    const base = { actor_kind: 'user' as const, details: {} };
    await store.addActivity({ ...base, actor: 'a', type: 't1', host_id: 1, team_id: 5 });
    await store.addActivity({ ...base, actor: 'b', type: 't2', host_id: 2, team_id: null });
    await store.addActivity({ ...base, actor: 'a', type: 't2', host_id: 1, team_id: 5 });
    const types = async (q: Omit<Parameters<EscrowStore['listActivities']>[0], 'limit'>) =>
      (await store.listActivities({ ...q, limit: 10 })).map((a) => `${a.actor}:${a.type}`);
    expect(await types({ actor: 'a' })).toEqual(['a:t2', 'a:t1']);
    expect(await types({ hostId: 2 })).toEqual(['b:t2']);
    expect(await types({ type: 't2', scope: [5] })).toEqual(['a:t2']);
    expect(await types({ teamId: null })).toEqual(['b:t2']);
    expect(await types({ since: '2999-01-01' })).toEqual([]);
    const [newest] = await store.listActivities({ limit: 1 });
    expect(await types({ beforeId: newest?.id ?? 0 })).toEqual(['b:t2', 'a:t1']);
  });
});

describe('upgrading a database from before the admin console', () => {
  const cases = [
    {
      name: 'SQLite',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'escrow-upgrade-'));
        return {
          driver: openSqlite(join(dir, 'escrow.sqlite')),
          opts: { dataDir: dir },
          cleanup: () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
    {
      name: 'PostgreSQL',
      open: async () => {
        const databaseUrl = await postgres.newDatabase();
        return {
          driver: openPostgres(databaseUrl),
          opts: { dataDir: '/nonexistent', databaseUrl },
          cleanup: () => {},
        };
      },
    },
  ];

  it.each(cases)(
    '$name: keeps hosts, tokens and activities; derives every status; old tokens keep their role',
    async (c) => {
      const { driver, opts, cleanup } = await c.open();
      await driver.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
      for (const m of MIGRATIONS.filter((x) => x.id <= 2)) {
        await driver.exec(migrationSql(m, driver.dialect));
        await driver.run('INSERT INTO schema_migrations (id, name) VALUES (?, ?)', [m.id, m.name]);
      }
      await driver.run(
        `INSERT INTO hosts (hardware_uuid, hardware_serial, hostname, platform, os_version, node_key_hash, enrolled_at, last_seen_at)
       VALUES ('u1', 'S1', 'Old-Host', 'linux', 'x', 'nk', '2026-01-01', '2026-01-01')`,
      );
      await driver.run(
        `INSERT INTO settings (name, value) VALUES ('no_team_encryption', '{"enabled":true,"logout_deadline":null,"max_deferrals":null}')`,
      );
      await driver.run(
        "INSERT INTO admin_tokens (token_hash, role, name, created_at) VALUES ('d', 'observer', 'old', 't')",
      );
      await driver.run(
        "INSERT INTO activities (created_at, actor, type, details) VALUES ('t', 'old (token #1)', 'created_team', '{}')",
      );
      await driver.close();
      const store = await openStore(opts);
      try {
        const [view] = await store.listHostViews({});
        expect(view?.host.disk_encryption_status).toBe('action_required');
        expect(view?.policy).toEqual({
          logout_deadline: null,
          max_deferrals: null,
          reason_required: true,
          rotate_after_reveal: null,
        });
        expect(await store.countHosts({ query: 'old-host' })).toBe(1);
        expect(await store.findAdminToken('d')).toMatchObject({
          role: 'observer',
          teams: null,
          expires_at: null,
          revoked_at: null,
        });
        expect((await store.listActivities({ limit: 5 }))[0]).toMatchObject({
          actor_kind: 'api_token',
          host_id: null,
        });
        // The backfill records no invented history.
        expect(await store.listActivities({ type: 'disk_encryption_status_changed', limit: 5 })).toEqual([]);
      } finally {
        await store.close();
        cleanup();
      }
    },
  );
});
