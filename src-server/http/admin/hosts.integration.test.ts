import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../../ipc/agent-server/orbit-api.js';
import { call, json, team, token } from '../../test-support/admin.js';
import { enroll, startTestServer, type TestServer } from '../../test-support/server.js';

let t: TestServer;
let admin: { token: string };
let ids: number[];
let teamA: number;
type HostList = {
  hosts: { id: number; hostname: string; team_name: string | null }[];
  next_cursor: string | null;
  meta: { has_next_results: boolean; has_previous_results: boolean };
};

beforeAll(async () => {
  t = await startTestServer();
  admin = await token(t, 'admin');
  teamA = await team(t, 'Alpha');
  ids = [];
  for (let i = 0; i < 23; i++) {
    const platform = i % 3 === 0 ? 'darwin' : 'linux';
    const h = await enroll(
      t,
      platform,
      `${String(i).padStart(8, '0')}-0000-4000-8000-00000000${String(i).padStart(4, 'a')}`,
    );
    ids.push(h.hostId);
  }
  // Host names an attacker (or a user) chose: script, formula, SQL.
  await t.server.store.enrollHost(
    {
      hardware_uuid: 'evil-uuid',
      hardware_serial: '=HYPERLINK("http://x")',
      hostname: '<script>alert(1)</script>',
      platform: 'linux',
      os_version: "'; DROP TABLE hosts; --",
    },
    'nk-evil',
  );
  const moved = await call(t, 'POST', '/hosts/transfer', admin, { team_id: teamA, hosts: ids.slice(0, 5) });
  expect(moved.status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

const list = (q: string) => json<HostList>(call(t, 'GET', `/hosts?${q}`, admin));

describe('host list', () => {
  it('pages with a keyset cursor through every host exactly once, in either direction', async () => {
    for (const [order, dir] of [
      ['hostname', 'asc'],
      ['id', 'desc'],
      ['seen_time', 'asc'],
      ['status', 'desc'],
    ]) {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: HostList = await list(
          `per_page=5&order_key=${order}&order_direction=${dir}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.hosts.map((h) => h.id));
        expect(page.meta.has_previous_results).toBe(pages > 0);
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor);
      expect(seen).toHaveLength(24);
      expect(new Set(seen).size).toBe(24);
      expect(pages).toBe(5);
    }
  });

  it("takes Fleet's page for small offsets, and refuses a cursor from another order", async () => {
    const p1 = await list('per_page=10&page=1&order_key=id');
    expect(p1.hosts.map((h) => h.id)).toEqual(
      (await list('per_page=24&order_key=id')).hosts.slice(10, 20).map((h) => h.id),
    );
    const c = (await list('per_page=2&order_key=hostname')).next_cursor;
    const res = await call(t, 'GET', `/hosts?order_key=id&cursor=${c}`, admin);
    expect(res.status).toBe(400);
  });

  it('searches hostname, serial and UUID in one query, any case, and filters by platform, team and status', async () => {
    const uuid = '00000007-0000-4000-8000-00000000aaa7';
    expect((await list(`query=${uuid.slice(-6)}`)).hosts).toHaveLength(1);
    const one = (await list(`query=${uuid.toUpperCase()}`)).hosts;
    expect(one).toHaveLength(1);
    const serial = (
      await json<{ host: { hardware_serial: string } }>(call(t, 'GET', `/hosts/${one[0]?.id}`, admin))
    ).host.hardware_serial;
    expect((await list(`query=${serial.toLowerCase()}`)).hosts.map((h) => h.id)).toEqual([one[0]?.id]);
    expect((await list('platform=darwin&per_page=100')).hosts).toHaveLength(8);
    const alpha = await list(`team_id=${teamA}`);
    expect(alpha.hosts.map((h) => h.id).sort()).toEqual(ids.slice(0, 5).sort());
    expect(alpha.hosts[0]?.team_name).toBe('Alpha');
    expect((await list('team_id=0&per_page=100')).hosts).toHaveLength(19);
    // Team Alpha manages encryption (its five hosts); the rest do not.
    expect((await list('status=unmanaged&per_page=100')).hosts).toHaveLength(19);
    expect((await list('os_settings_disk_encryption=verified')).hosts).toHaveLength(0);
    expect(await json(call(t, 'GET', `/hosts/count?team_id=${teamA}`, admin))).toEqual({ count: 5 });
  });

  it('treats SQL metacharacters and LIKE wildcards in a search as plain text', async () => {
    for (const q of ["'; DROP TABLE hosts; --", '%', '_', "' OR '1'='1", '\\', '!']) {
      const res = await call(t, 'GET', `/hosts?query=${encodeURIComponent(q)}`, admin);
      expect(res.status, q).toBe(200);
      expect(((await res.json()) as HostList).hosts, q).toEqual([]);
    }
    expect((await list(`query=${encodeURIComponent('<script>')}`)).hosts).toHaveLength(1);
    expect((await list('per_page=100')).hosts).toHaveLength(24);
  });

  it('refuses an over-long search (query_too_long) and a huge per_page (400, never clamped)', async () => {
    const long = await call(t, 'GET', `/hosts?query=${'a'.repeat(257)}`, admin);
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({
      code: 'query_too_long',
      error: 'query: query must be at most 256 characters',
    });
    const huge = await call(t, 'GET', '/hosts?per_page=1000000000', admin);
    expect(huge.status).toBe(400);
    expect(await huge.json()).toMatchObject({ code: 'invalid_request' });
    expect((await call(t, 'GET', '/hosts?per_page=0', admin)).status).toBe(400);
    expect((await call(t, 'GET', '/hosts?page=10000&per_page=100', admin)).status).toBe(400);
    expect((await call(t, 'GET', '/hosts?order_key=password', admin)).status).toBe(400);
    expect((await call(t, 'GET', '/hosts?cursor=%22%3E%3Cscript%3E', admin)).status).toBe(400);
  });

  it('returns HTML and script in host names as JSON data, with the API security headers', async () => {
    const res = await call(t, 'GET', `/hosts?query=${encodeURIComponent('<script>')}`, admin);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here
    const body = (await res.json()) as HostList;
    expect(body.hosts[0]?.hostname).toBe('<script>alert(1)</script>');
  });

  it('exports the filtered list as CSV with formula cells neutralised', async () => {
    const res = await call(t, 'GET', '/hosts/report?format=csv&order_key=id', admin);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="hosts-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,hostname,hardware_serial,uuid,platform/);
    expect(lines).toHaveLength(25);
    const evil = lines.find((l) => l.includes('<script>')) ?? '';
    expect(evil).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(evil).not.toMatch(/,=HYPERLINK/);
    const alpha = await call(t, 'GET', `/hosts/report?format=csv&team_id=${teamA}`, admin);
    expect((await alpha.text()).trimEnd().split('\r\n')).toHaveLength(6);
    expect((await call(t, 'GET', '/hosts/report', admin)).status).toBe(400);
  });
});

describe('one host', () => {
  it('finds a host by serial, UUID or hostname; 404 otherwise', async () => {
    const h = await json<{ host: { id: number; hardware_serial: string; uuid: string; hostname: string } }>(
      call(t, 'GET', `/hosts/${ids[3]}`, admin),
    );
    for (const identifier of [h.host.hardware_serial, h.host.uuid, h.host.hostname]) {
      const found = await json<{ host: { id: number } }>(
        call(t, 'GET', `/hosts/identifier/${encodeURIComponent(identifier)}`, admin),
      );
      expect(found.host.id).toBe(ids[3]);
    }
    expect((await call(t, 'GET', '/hosts/identifier/nope', admin)).status).toBe(404);
  });

  it('gives the host page: volumes, status and reason, policy, and a timeline of events', async () => {
    const enc = await call(t, 'POST', '/disk_encryption', admin, {
      team_id: teamA,
      enable_disk_encryption: true,
    });
    expect(enc.status).toBe(204);
    const hostId = ids[1] as number; // Linux, in Alpha
    const details = await json<{
      host: {
        mdm: unknown;
        needs_attention: { code: string }[];
        policy: unknown;
        key_kind: string;
        volumes: unknown[];
      };
    }>(call(t, 'GET', `/hosts/${hostId}`, admin));
    expect(details.host.key_kind).toBe('luks');
    expect(details.host.mdm).toEqual({
      os_settings: {
        disk_encryption: {
          status: 'action_required',
          detail: 'No key escrowed yet; the user must enter the disk passphrase.',
        },
      },
    });
    expect(details.host.policy).toEqual({
      reason_required: true,
      rotate_after_reveal: false,
      logout_deadline: null,
      max_deferrals: null,
    });
    expect(details.host.needs_attention.map((r) => r.code)).toEqual(['no_key_escrowed']);
    const timeline = await json<{
      activities: { type: string; summary: string; details: Record<string, unknown> }[];
    }>(call(t, 'GET', `/hosts/${hostId}/activities`, admin));
    expect(timeline.activities.map((a) => a.type)).toEqual([
      'host_team_changed',
      'disk_encryption_status_changed',
      'host_enrolled',
    ]);
    expect(timeline.activities[1]?.details).toMatchObject({ from: 'unmanaged', to: 'action_required' });
    expect(timeline.activities[0]?.summary).toMatch(/moved host-\w+ to Alpha$/);
    expect(timeline.activities[2]?.summary).toMatch(/^host-\w+ enrolled$/);
  });

  it('lists hosts that need attention with reasons, and counts them on the dashboard', async () => {
    const att = await json<{ hosts: { host: { id: number }; reasons: { code: string; text: string }[] }[] }>(
      call(t, 'GET', '/hosts/needs_attention', admin),
    );
    // Alpha's Linux hosts have no key; its Macs wait for FileVault, which is not late yet.
    expect(att.hosts.map((h) => h.host.id)).toEqual([ids[1], ids[2], ids[4]]);
    expect(att.hosts.every((h) => h.reasons.length > 0)).toBe(true);
    const dash = await json<{
      counts: { status: string; platform: string; team_id: number | null; hosts: number }[];
      total_hosts: number;
      needs_attention: number;
    }>(call(t, 'GET', '/dashboard', admin));
    expect(dash.total_hosts).toBe(24);
    expect(dash.needs_attention).toBe(3);
    expect(dash.counts).toContainEqual({
      status: 'action_required',
      platform: 'linux',
      team_id: teamA,
      hosts: 3,
    });
    expect(dash.counts).toContainEqual({ status: 'enforcing', platform: 'darwin', team_id: teamA, hosts: 2 });
    await t.server.writeSnapshotNow();
    const history = await json<{ days: { day: string; counts: Record<string, number> }[] }>(
      call(t, 'GET', `/dashboard/history?days=30&team_id=${teamA}`, admin),
    );
    expect(history.days).toEqual([
      { day: new Date().toISOString().slice(0, 10), counts: { action_required: 3, enforcing: 2 } },
    ]);
    const summary = await json<Record<string, Record<string, number>>>(
      call(t, 'GET', '/disk_encryption', admin),
    );
    expect(summary.action_required).toEqual({ macos: 0, windows: 0, linux: 3 });
    expect(summary.enforcing).toEqual({ macos: 2, windows: 0, linux: 0 });
  });

  it('records enroll, escrow error and key events from agents on the host timeline', async () => {
    const h = await enroll(t);
    await call(t, 'POST', '/disk_encryption', admin, { team_id: null, enable_disk_encryption: true });
    const err = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: h.nodeKey,
      client_error: 'no free key slot',
    });
    expect(err.status).toBe(204);
    const timeline = await json<{ activities: { type: string; summary: string; actor_kind: string }[] }>(
      call(t, 'GET', `/hosts/${h.hostId}/activities`, admin),
    );
    expect(timeline.activities.map((a) => [a.type, a.actor_kind])).toEqual([
      ['disk_encryption_status_changed', 'system'],
      ['escrow_failed', 'host'],
      ['disk_encryption_status_changed', 'system'],
      ['host_enrolled', 'host'],
    ]);
    expect(timeline.activities[1]?.summary).toBe(`Escrow failed on ${h.identity.hostname}: no free key slot`);
    await call(t, 'POST', '/disk_encryption', admin, { team_id: null, enable_disk_encryption: false });
  });
});
