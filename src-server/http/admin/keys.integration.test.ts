import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../../ipc/agent-server/orbit-api.js';
import type { StartServerOptions } from '../../server.js';
import { addUser, call, json, signIn, team, token } from '../../test-support/admin.js';
import {
  config,
  enroll,
  envelopeFor,
  luksKey,
  startTestServer,
  type TestServer,
} from '../../test-support/server.js';

let t: TestServer;
const start = async (opts: Partial<StartServerOptions> = {}) => {
  t = await startTestServer(opts);
};
afterEach(async () => {
  await t.close();
});

/** A Linux host in `teamId` (null = no team, encryption on) with an escrowed key. */
async function hostWithKey(teamId: number | null, seed = 1) {
  const h = await enroll(t);
  if (teamId !== null) await t.server.store.transferHosts(teamId, [h.hostId]);
  else await t.server.store.setDiskEncryption(null, true);
  const res = await t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: h.nodeKey,
    key_slot: 1,
    salt: 's',
    base64_encrypted: await envelopeFor(t, h.nodeKey, luksKey(seed)),
    client_error: '',
  });
  expect(res.status).toBe(204);
  return h;
}

describe('revealing a key', () => {
  beforeEach(() => start());

  it('needs a reason by default; returns the key with its kind; audits the reason', async () => {
    const h = await hostWithKey(null);
    const admin = await token(t, 'admin');
    const bare = await call(t, 'GET', `/hosts/${h.hostId}/encryption_key`, admin);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ code: 'reason_required' });
    const res = await json<{ encryption_key: { key: string; kind: string }; rotation_requested: boolean }>(
      call(
        t,
        'GET',
        `/hosts/${h.hostId}/encryption_key?reason=${encodeURIComponent('locked out <b>now</b>')}`,
        admin,
      ),
    );
    expect(res.encryption_key).toMatchObject({ key: luksKey(1), kind: 'luks' });
    expect(res.rotation_requested).toBe(false);
    const log = await json<{ activities: { type: string; details: { reason: string }; summary: string }[] }>(
      call(t, 'GET', '/activities?type=read_host_disk_encryption_key', admin),
    );
    expect(log.activities[0]?.details.reason).toBe('locked out <b>now</b>');
    expect(log.activities[0]?.summary).toMatch(/revealed the key of host-\w+: locked out <b>now<\/b>$/);
  });

  it('from the console: POST with the CSRF token, a reason, and "rotate after" asks the host for a new key', async () => {
    const h = await hostWithKey(null);
    await addUser(t, 'help@example.com', 'helpdesk');
    const session = await signIn(t, 'help@example.com');
    const res = await json<{ rotation_requested: boolean; encryption_key: { key: string } }>(
      call(
        t,
        'POST',
        `/hosts/${h.hostId}/encryption_key`,
        { session },
        { reason: 'ticket 42', rotate_after: true },
      ),
    );
    expect(res).toMatchObject({ rotation_requested: true, encryption_key: { key: luksKey(1) } });
    expect((await config(t, h.nodeKey)).notifications.rotate_disk_encryption_key).toBe(true);
    const acts = await json<{ activities: { type: string; actor: string; actor_kind: string }[] }>(
      call(t, 'GET', `/hosts/${h.hostId}/activities`, { token: t.init.admin_token }),
    );
    expect(acts.activities.slice(0, 2).map((a) => [a.type, a.actor, a.actor_kind])).toEqual([
      ['requested_disk_encryption_key_rotation', 'help@example.com', 'user'],
      ['read_host_disk_encryption_key', 'help@example.com', 'user'],
    ]);
  });

  it('follows the team: reason optional when it says so, rotation forced when it says so', async () => {
    const relaxed = await t.server.store.createTeam('Relaxed', true, { reason_required: false });
    const strict = await t.server.store.createTeam('Strict', true, { rotate_after_reveal: true });
    const a = await hostWithKey(relaxed.id, 1);
    const b = await hostWithKey(strict.id, 2);
    const admin = await token(t, 'admin');
    expect((await call(t, 'GET', `/hosts/${a.hostId}/encryption_key`, admin)).status).toBe(200);
    expect((await config(t, a.nodeKey)).notifications.rotate_disk_encryption_key).toBe(false);
    const forced = await json<{ rotation_requested: boolean }>(
      call(t, 'GET', `/hosts/${b.hostId}/encryption_key?reason=x&rotate_after=false`, admin),
    );
    expect(forced.rotation_requested).toBe(true);
    expect((await config(t, b.nodeKey)).notifications.rotate_disk_encryption_key).toBe(true);
    // The policy is visible and editable per team.
    const teams = await json<{
      teams: { name: string; reason_required: boolean; rotate_after_reveal: boolean }[];
    }>(call(t, 'GET', '/teams', admin));
    expect(teams.teams.map((x) => [x.name, x.reason_required, x.rotate_after_reveal])).toEqual([
      ['Relaxed', false, false],
      ['Strict', true, true],
    ]);
    const patched = await call(t, 'PATCH', `/teams/${relaxed.id}`, admin, { reason_required: true });
    expect(((await patched.json()) as { team: { reason_required: boolean } }).team.reason_required).toBe(
      true,
    );
    expect((await call(t, 'GET', `/hosts/${a.hostId}/encryption_key`, admin)).status).toBe(400);
  });

  it('hides hosts of other teams from a helpdesk limited to team A (404, not 403)', async () => {
    const teamA = await team(t, 'A');
    const teamB = await team(t, 'B');
    const inA = await hostWithKey(teamA, 1);
    const inB = await hostWithKey(teamB, 2);
    const helpA = await token(t, 'helpdesk', [teamA]);
    expect((await call(t, 'GET', `/hosts/${inA.hostId}/encryption_key?reason=x`, helpA)).status).toBe(200);
    for (const [method, path] of [
      ['GET', `/hosts/${inB.hostId}/encryption_key?reason=x`],
      ['POST', `/hosts/${inB.hostId}/rotate_encryption_key`],
      ['GET', `/hosts/${inB.hostId}`],
      ['GET', `/hosts/${inB.hostId}/activities`],
      ['GET', `/hosts/identifier/${inB.identity.hostname}`],
    ] as const) {
      const res = await call(t, method, path, helpA);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: 'host not found', code: 'not_found' });
    }
    const listed = await json<{ hosts: { id: number }[] }>(call(t, 'GET', '/hosts', helpA));
    expect(listed.hosts.map((h) => h.id)).toEqual([inA.hostId]);
  });

  it('never shows a key to an observer', async () => {
    const h = await hostWithKey(null);
    const obs = await token(t, 'observer');
    expect((await call(t, 'GET', `/hosts/${h.hostId}/encryption_key?reason=x`, obs)).status).toBe(403);
    expect(
      (await call(t, 'POST', `/hosts/${h.hostId}/archived_encryption_keys`, obs, { reason: 'x' })).status,
    ).toBe(403);
    const page = await call(t, 'GET', `/hosts/${h.hostId}`, obs);
    expect(await page.text()).not.toContain(luksKey(1));
  });

  it('lists archived keys as metadata and reveals one with a reason', async () => {
    const h = await hostWithKey(null, 1);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: h.nodeKey,
      key_slot: 2,
      salt: 's2',
      base64_encrypted: await envelopeFor(t, h.nodeKey, luksKey(2)),
      client_error: '',
    });
    const admin = await token(t, 'admin');
    const meta = await call(t, 'GET', `/hosts/${h.hostId}/archived_keys`, admin);
    const text = await meta.text();
    expect(text).not.toContain(luksKey(1));
    const { archived_keys } = JSON.parse(text) as {
      archived_keys: { id: number; kind: string; reason: string }[];
    };
    expect(archived_keys).toMatchObject([{ kind: 'luks', reason: 'replaced' }]);
    const one = await json<{ archived_keys: { key: string }[] }>(
      call(t, 'POST', `/hosts/${h.hostId}/archived_encryption_keys`, admin, {
        reason: 'disk from the old laptop',
        archived_key_id: archived_keys[0]?.id,
      }),
    );
    expect(one.archived_keys.map((k) => k.key)).toEqual([luksKey(1)]);
    expect(
      (
        await call(t, 'POST', `/hosts/${h.hostId}/archived_encryption_keys`, admin, {
          reason: 'x',
          archived_key_id: 999,
        })
      ).status,
    ).toBe(404);
  });
});

describe('rotate-after-read flag (before teams had a policy)', () => {
  it('is the default of "no team", until the API sets it', async () => {
    await start({ rotateKeyAfterRead: true });
    const h = await hostWithKey(null);
    const admin = await token(t, 'admin');
    const teams = await json<{ no_team: { rotate_after_reveal: boolean } }>(call(t, 'GET', '/teams', admin));
    expect(teams.no_team.rotate_after_reveal).toBe(true);
    expect(
      (
        await json<{ rotation_requested: boolean }>(
          call(t, 'GET', `/hosts/${h.hostId}/encryption_key?reason=x`, admin),
        )
      ).rotation_requested,
    ).toBe(true);
    await call(t, 'POST', '/disk_encryption', admin, {
      team_id: null,
      enable_disk_encryption: true,
      rotate_after_reveal: false,
    });
    expect(
      (
        await json<{ rotation_requested: boolean }>(
          call(t, 'GET', `/hosts/${h.hostId}/encryption_key?reason=x`, admin),
        )
      ).rotation_requested,
    ).toBe(false);
  });
});
