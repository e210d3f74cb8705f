import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, ConfigResponse } from '../../../ipc/agent-server/orbit-api.js';
import { addAdminToken } from '../../init.js';
import {
  config,
  enroll,
  envelopeFor,
  luksKey,
  startTestServer,
  type TestServer,
} from '../../test-support/server.js';

let t: TestServer;
let observer: string;
beforeEach(async () => {
  t = await startTestServer();
  observer = await addAdminToken({ dataDir: t.dataDir, role: 'observer', name: 'helpdesk' });
});
afterEach(async () => {
  await t.close();
});

const ADMIN = () => t.init.admin_token;
const H = '/api/latest/fleet';

async function escrowLuks(nodeKey: string, key: string, slot = 1) {
  const res = await t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: nodeKey,
    key_slot: slot,
    salt: 's',
    base64_encrypted: await envelopeFor(t, nodeKey, key),
    client_error: '',
  });
  expect(res.status).toBe(204);
  await t.server.keyChecksSettled();
}

describe('admin authentication and roles', () => {
  it('401s without a token or with an unknown one', async () => {
    expect((await t.get(`${H}/hosts`)).status).toBe(401);
    const res = await t.get(`${H}/hosts`, 'A'.repeat(43));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/Bearer/);
  });

  it('lets an observer list hosts, the summary and activities, but not read keys or change anything', async () => {
    expect((await t.get(`${H}/hosts`, observer)).status).toBe(200);
    expect((await t.get(`${H}/disk_encryption`, observer)).status).toBe(200);
    expect((await t.get(`${H}/activities`, observer)).status).toBe(200);
    const { hostId } = await enroll(t);
    expect((await t.get(`${H}/hosts/${hostId}/encryption_key?reason=support%20call`, observer)).status).toBe(
      403,
    );
    expect((await t.post(`${H}/hosts/${hostId}/rotate_encryption_key`, {}, observer)).status).toBe(403);
    expect(
      (await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: true }, observer))
        .status,
    ).toBe(403);
    expect((await t.post(`${H}/teams`, { name: 'x' }, observer)).status).toBe(403);
  });
});

describe('teams, transfer and disk_encryption', () => {
  it('creates and lists teams; a duplicate name is 409, an empty one 400', async () => {
    const res = await t.post(`${H}/teams`, { name: 'Engineering' }, ADMIN());
    expect(res.status).toBe(200);
    const { team } = (await res.json()) as { team: { id: number; name: string } };
    expect(team.name).toBe('Engineering');
    expect((await t.post(`${H}/teams`, { name: 'Engineering' }, ADMIN())).status).toBe(409);
    expect((await t.post(`${H}/teams`, { name: '  ' }, ADMIN())).status).toBe(400);
    const list = (await (await t.get(`${H}/teams`, ADMIN())).json()) as { teams: { name: string }[] };
    expect(list.teams.map((x) => x.name)).toEqual(['Engineering']);
  });

  it('moving a host to a team without encryption archives its key (Fleet), and the host hears it', async () => {
    const on = (
      (await (await t.post(`${H}/teams`, { name: 'On' }, ADMIN())).json()) as { team: { id: number } }
    ).team;
    const off = (
      (await (await t.post(`${H}/teams`, { name: 'Off' }, ADMIN())).json()) as { team: { id: number } }
    ).team;
    expect(
      (await t.post(`${H}/disk_encryption`, { team_id: on.id, enable_disk_encryption: true }, ADMIN()))
        .status,
    ).toBe(204);
    const { nodeKey, hostId } = await enroll(t);
    const moved = await t.post(`${H}/hosts/transfer`, { team_id: on.id, hosts: [hostId] }, ADMIN());
    expect(await moved.json()).toEqual({ moved_host_ids: [hostId] });
    await escrowLuks(nodeKey, luksKey(1));
    await t.post(`${H}/hosts/transfer`, { team_id: off.id, hosts: [hostId] }, ADMIN());
    expect((await t.get(`${H}/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())).status).toBe(
      404,
    );
    expect((await t.server.store.listArchivedKeys(hostId))[0]?.reason).toBe('team_changed');
    const hosts = (await (await t.get(`${H}/hosts?team_id=${off.id}`, ADMIN())).json()) as {
      hosts: { id: number; mdm: { os_settings: { disk_encryption: { status: string | null } } } }[];
    };
    expect(hosts.hosts.map((h) => [h.id, h.mdm.os_settings.disk_encryption.status])).toEqual([
      [hostId, 'removing_enforcement'],
    ]);
    expect((await config(t, nodeKey)).disk_encryption.enabled).toBe(false);
    const after = (await (await t.get(`${H}/hosts/${hostId}`, ADMIN())).json()) as {
      host: { mdm: { os_settings: { disk_encryption: { status: string | null } } } };
    };
    expect(after.host.mdm.os_settings.disk_encryption.status).toBeNull();
  });

  it('sends the logout deadline and deferrals to agents while encryption is on (UTC)', async () => {
    const { nodeKey } = await enroll(t);
    const set = await t.post(
      `${H}/disk_encryption`,
      {
        team_id: null,
        enable_disk_encryption: true,
        logout_deadline: '2026-12-01T10:00:00+02:00',
        max_deferrals: 2,
      },
      ADMIN(),
    );
    expect(set.status).toBe(204);
    const c = await config(t, nodeKey);
    expect(c.disk_encryption).toEqual({
      enabled: true,
      logout_deadline: '2026-12-01T08:00:00.000Z',
      max_deferrals: 2,
    });
    expect(ConfigResponse.parse(c)).toEqual(c);
    await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: false }, ADMIN());
    expect((await config(t, nodeKey)).disk_encryption).toEqual({ enabled: false });
    const bad = await t.post(
      `${H}/disk_encryption`,
      { team_id: null, enable_disk_encryption: true, logout_deadline: 'tomorrow' },
      ADMIN(),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^logout_deadline: /);
  });

  it('400s a transfer without hosts and 404s an unknown team', async () => {
    const bad = await t.post(`${H}/hosts/transfer`, { team_id: null, hosts: [] }, ADMIN());
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^hosts: /);
    expect((await t.post(`${H}/hosts/transfer`, { team_id: 77, hosts: [1] }, ADMIN())).status).toBe(404);
    expect(
      (await t.post(`${H}/disk_encryption`, { team_id: 77, enable_disk_encryption: true }, ADMIN())).status,
    ).toBe(404);
    expect((await t.post(`${H}/disk_encryption`, { team_id: null }, ADMIN())).status).toBe(400);
  });

  it('takes fleet_id (newer Fleet) as team_id, neither as no team, and 400s both when they differ', async () => {
    const res = await t.post(`${H}/teams`, { name: 'Laptops' }, ADMIN());
    const { team } = (await res.json()) as { team: { id: number } };
    const on = await t.post(
      `${H}/disk_encryption`,
      { fleet_id: team.id, enable_disk_encryption: true },
      ADMIN(),
    );
    expect(on.status).toBe(204);
    const teams = (await (await t.get(`${H}/teams`, ADMIN())).json()) as {
      teams: { id: number; enable_disk_encryption: boolean }[];
    };
    expect(teams.teams.find((x) => x.id === team.id)?.enable_disk_encryption).toBe(true);
    const same = { team_id: team.id, fleet_id: team.id, enable_disk_encryption: false };
    expect((await t.post(`${H}/disk_encryption`, same, ADMIN())).status).toBe(204);
    const differ = await t.post(
      `${H}/disk_encryption`,
      { team_id: team.id, fleet_id: null, enable_disk_encryption: true },
      ADMIN(),
    );
    expect(differ.status).toBe(400);
    expect(((await differ.json()) as { error: string }).error).toBe(
      'fleet_id: team_id and fleet_id name different teams; send one of them',
    );
    // Neither: hosts in no team, as Fleet's clients mean it (README's "Running it for real" sends this).
    const { nodeKey } = await enroll(t);
    expect((await config(t, nodeKey)).disk_encryption.enabled).toBe(false);
    const neither = await t.post(`${H}/disk_encryption`, { enable_disk_encryption: true }, ADMIN());
    expect(neither.status).toBe(204);
    expect((await config(t, nodeKey)).disk_encryption.enabled).toBe(true);
    expect(
      (await t.post(`${H}/disk_encryption`, { fleet_id: 77, enable_disk_encryption: true }, ADMIN())).status,
    ).toBe(404);
  });

  it('summarizes statuses per platform', async () => {
    await t.post(`${H}/disk_encryption`, { team_id: 0, enable_disk_encryption: true }, ADMIN());
    const a = await enroll(t);
    await enroll(t);
    await enroll(t, 'windows');
    await enroll(t, 'darwin');
    await escrowLuks(a.nodeKey, luksKey(2));
    const summary = (await (await t.get(`${H}/disk_encryption`, observer)).json()) as Record<
      string,
      { linux: number; windows: number; macos: number }
    >;
    expect(summary.verified).toEqual({ linux: 1, windows: 0, macos: 0 });
    expect(summary.action_required).toEqual({ linux: 1, windows: 0, macos: 0 });
    expect(summary.enforcing).toEqual({ linux: 0, windows: 1, macos: 1 });
    expect(Object.keys(summary).sort()).toEqual(
      ['action_required', 'enforcing', 'failed', 'removing_enforcement', 'verified', 'verifying'].sort(),
    );
  });
});

describe('encryption_key read, rotation and activities', () => {
  it('returns the key, writes read_host_disk_encryption_key, and 404s a host without key', async () => {
    await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: true }, ADMIN());
    const { nodeKey, hostId, identity } = await enroll(t);
    expect((await t.get(`${H}/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())).status).toBe(
      404,
    );
    expect((await t.get(`${H}/hosts/999/encryption_key`, ADMIN())).status).toBe(404);
    expect((await t.get(`${H}/hosts/abc/encryption_key`, ADMIN())).status).toBe(400);
    const key = luksKey(3);
    await escrowLuks(nodeKey, key);
    const res = await t.get(`${H}/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN());
    const body = (await res.json()) as {
      host_id: number;
      encryption_key: { key: string; updated_at: string };
    };
    expect(body.host_id).toBe(hostId);
    expect(body.encryption_key.key).toBe(key);
    expect(Date.parse(body.encryption_key.updated_at)).not.toBeNaN();
    const acts = (await (await t.get(`${H}/activities`, observer)).json()) as {
      activities: { type: string; details: Record<string, unknown>; actor: string }[];
    };
    const read = acts.activities.find((a) => a.type === 'read_host_disk_encryption_key');
    expect(read?.details).toEqual({
      host_id: hostId,
      host_display_name: identity.hostname,
      reason: 'support call',
      rotate_after: false,
    });
    expect(read?.actor).toMatch(/^initial admin/);
    // Reading does not ask for rotation unless the server is configured to.
    expect((await config(t, nodeKey)).notifications.rotate_disk_encryption_key).toBe(false);
  });

  it('rotate_encryption_key asks the host; a new key clears the request', async () => {
    await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: true }, ADMIN());
    const { nodeKey, hostId } = await enroll(t);
    await escrowLuks(nodeKey, luksKey(4));
    expect((await t.post(`${H}/hosts/${hostId}/rotate_encryption_key`, {}, ADMIN())).status).toBe(204);
    expect((await config(t, nodeKey)).notifications.rotate_disk_encryption_key).toBe(true);
    await escrowLuks(nodeKey, luksKey(5), 2);
    expect((await config(t, nodeKey)).notifications.rotate_disk_encryption_key).toBe(false);
    expect((await t.post(`${H}/hosts/4242/rotate_encryption_key`, {}, ADMIN())).status).toBe(404);
  });

  it('with rotate-after-read on, a read asks the host for a new key', async () => {
    await t.close();
    t = await startTestServer({ rotateKeyAfterRead: true });
    await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: true }, ADMIN());
    const { nodeKey, hostId } = await enroll(t);
    await escrowLuks(nodeKey, luksKey(6));
    expect((await t.get(`${H}/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())).status).toBe(
      200,
    );
    expect((await config(t, nodeKey)).notifications.rotate_disk_encryption_key).toBe(true);
  });

  it('gives archived keys back to admins only, newest change last, with an activity', async () => {
    await t.post(`${H}/disk_encryption`, { team_id: null, enable_disk_encryption: true }, ADMIN());
    const { nodeKey, hostId } = await enroll(t);
    const first = luksKey(7);
    await escrowLuks(nodeKey, first, 1);
    await escrowLuks(nodeKey, luksKey(8), 2);
    expect(
      (await t.get(`${H}/hosts/${hostId}/archived_encryption_keys?reason=support%20call`, observer)).status,
    ).toBe(403);
    expect((await t.get(`${H}/hosts/9999/archived_encryption_keys`, ADMIN())).status).toBe(404);
    const body = (await (
      await t.get(`${H}/hosts/${hostId}/archived_encryption_keys?reason=support%20call`, ADMIN())
    ).json()) as {
      archived_keys: { key: string | null; key_slot: number; reason: string }[];
    };
    expect(body.archived_keys.map((a) => [a.key, a.key_slot, a.reason])).toEqual([[first, 1, 'replaced']]);
    const acts = (await (await t.get(`${H}/activities`, ADMIN())).json()) as {
      activities: { type: string }[];
    };
    expect(acts.activities[0]?.type).toBe('read_host_archived_disk_encryption_keys');
  });

  it('rate-limits key reads per token', async () => {
    await t.close();
    t = await startTestServer({ rateLimits: { keyRead: { burst: 2, perSecond: 0.001 } } });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await t.get(`${H}/hosts/1/encryption_key?reason=support%20call`, ADMIN())).status);
    expect(codes).toEqual([404, 404, 429]);
  });
});
