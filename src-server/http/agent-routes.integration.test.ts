import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, CAPABILITIES_HEADER, ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { newHostKey, signedClaim } from '../test-support/host-keys.js';
import {
  BITLOCKER_KEY,
  config,
  enroll,
  envelopeFor,
  FILEVAULT_PRK,
  hostIdentity,
  luksKey,
  startTestServer,
  type TestServer,
} from '../test-support/server.js';
import { digest } from './secrets.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

const ADMIN = () => t.init.admin_token;
const enableNoTeam = () =>
  t.post('/api/latest/fleet/disk_encryption', { team_id: null, enable_disk_encryption: true }, ADMIN());

async function hostStatus(hostId: number) {
  const res = await t.get(`/api/latest/fleet/hosts/${hostId}`, ADMIN());
  return (
    (await res.json()) as { host: { mdm: { os_settings: { disk_encryption: { status: string | null } } } } }
  ).host.mdm.os_settings.disk_encryption.status;
}

describe('enroll', () => {
  it('gives a node key for the right secret', async () => {
    const { nodeKey } = await enroll(t);
    expect(nodeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('401s a wrong enroll secret', async () => {
    const res = await t.post(AGENT_API_PATHS.enroll, { enroll_secret: 'wrong', ...hostIdentity() });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid enroll secret' });
  });

  it("enrolls Fleet's own agents with the exact body orbit sends: osquery's platform names, kept for display", async () => {
    // server/service/contract/orbit.go EnrollOrbitRequest, as fleetd on Ubuntu 24.04 sends it: no os_version.
    const fleetBody = (platform: string, hostname: string) => ({
      enroll_secret: t.init.enroll_secret,
      hardware_uuid: randomUUID(),
      hardware_serial: 'PF3ABCDE',
      hostname,
      platform,
      osquery_identifier: '',
      computer_name: hostname,
      hardware_model: 'ThinkPad X1 Carbon Gen 11',
    });
    for (const [platform, hostname] of [
      ['ubuntu', 'ubuntu-laptop'],
      ['rhel', 'rhel-laptop'],
      ['arch', 'arch-laptop'],
    ] as const) {
      const res = await t.post(AGENT_API_PATHS.enroll, fleetBody(platform, hostname));
      expect(res.status, platform).toBe(200);
    }
    // An osquery name not in Fleet's list is Linux by its platform_like (os-release ID_LIKE).
    const like = await t.post(AGENT_API_PATHS.enroll, {
      ...fleetBody('bazzite', 'bazzite-laptop'),
      platform_like: 'fedora',
    });
    expect(like.status).toBe(200);
    const hosts = (await (
      await fetch(`${t.url}/api/latest/fleet/hosts?per_page=50`, {
        headers: { authorization: `Bearer ${t.init.admin_token}` },
      })
    ).json()) as { hosts: { hostname: string; platform: string; os_version: string }[] };
    const seen = Object.fromEntries(hosts.hosts.map((h) => [h.hostname, [h.platform, h.os_version]]));
    expect(seen).toMatchObject({
      'ubuntu-laptop': ['linux', 'ubuntu'],
      'rhel-laptop': ['linux', 'rhel'],
      'arch-laptop': ['linux', 'arch'],
      'bazzite-laptop': ['linux', 'bazzite'],
    });
    // Ours still sends linux with its os_version, shown as it was.
    const ours = await t.post(AGENT_API_PATHS.enroll, {
      enroll_secret: t.init.enroll_secret,
      ...hostIdentity(),
    });
    expect(ours.status).toBe(200);
  });

  it('400s a bad platform with the field named', async () => {
    const res = await t.post(AGENT_API_PATHS.enroll, {
      enroll_secret: t.init.enroll_secret,
      ...hostIdentity(),
      platform: 'solaris',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; details: { path: string }[] };
    expect(body.error).toBe(
      'platform: "solaris" is not a platform we escrow for: expected darwin, windows or a Linux (linux, ubuntu, debian, rhel, fedora, arch, … or a platform_like naming one)',
    );
    expect(body.details[0]?.path).toBe('platform');
  });

  it('400s invalid JSON and 413s an oversized body without echoing it', async () => {
    const bad = await fetch(t.url + AGENT_API_PATHS.enroll, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"enroll_secret": "SECRET-IN-BODY',
    });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('not valid JSON');
    expect(text).not.toContain('SECRET-IN-BODY');
    const big = await t.post(AGENT_API_PATHS.enroll, { enroll_secret: 'x'.repeat(200_000) });
    expect(big.status).toBe(413);
  });

  it('415s a body that is not JSON and 400s JSON that is not an object', async () => {
    const text = await fetch(t.url + AGENT_API_PATHS.enroll, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({ error: 'send the body as application/json' });
    const arr = await t.post(AGENT_API_PATHS.enroll, [1, 2]);
    expect(arr.status).toBe(400);
    expect(((await arr.json()) as { error: string }).error).toMatch(/expected object/i);
  });

  it('rate-limits enroll per client', async () => {
    await t.close();
    t = await startTestServer({ rateLimits: { enroll: { burst: 2, perSecond: 0.001 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await t.post(AGENT_API_PATHS.enroll, { enroll_secret: 'x', ...hostIdentity() })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('re-enrolling a known host archives its key, invalidates the old node key and starts escrow again', async () => {
    await enableNoTeam();
    const uuid = randomUUID();
    const first = await enroll(t, 'linux', uuid);
    const env = await envelopeFor(t, first.nodeKey, luksKey(1));
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: first.nodeKey,
      key_slot: 3,
      salt: 'abc',
      base64_encrypted: env,
      client_error: '',
    });
    expect((await config(t, first.nodeKey)).notifications.run_disk_encryption_escrow).toBe(false);
    const second = await enroll(t, 'linux', uuid);
    expect(second.hostId).toBe(first.hostId);
    const old = await t.post(AGENT_API_PATHS.config, { orbit_node_key: first.nodeKey });
    expect(old.status).toBe(401);
    expect(await old.json()).toEqual({ error: 'unknown node key' });
    expect((await config(t, second.nodeKey)).notifications.run_disk_encryption_escrow).toBe(true);
    expect(await t.server.store.listArchivedKeys(first.hostId)).toHaveLength(1);
  });
});

describe('enroll: proof of identity (issue 18, finding 2)', () => {
  /** Host B, enrolled by its own agent, with a key escrowed. */
  async function hostB() {
    await enableNoTeam();
    const b = await enroll(t, 'linux', randomUUID());
    const env = await envelopeFor(t, b.nodeKey, luksKey(1));
    const sent = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: b.nodeKey,
      key_slot: 3,
      salt: 'abc',
      base64_encrypted: env,
      client_error: '',
    });
    expect(sent.status).toBe(204);
    return { ...b, envelope: env };
  }

  it("anyone with the enroll secret claiming B's hardware_uuid gets a pending host; B's key, node key and record stay B's", async () => {
    const b = await hostB();
    const before = await t.server.store.getHostView(b.hostId);
    // Without a proof (an old agent, or curl), and with a key of the attacker's own.
    for (const key of [null, newHostKey()]) {
      const attacker = await enroll(t, 'linux', b.identity.hardware_uuid, key);
      expect(attacker.pendingMerge).toBe(true);
      expect(attacker.hostId).not.toBe(b.hostId);
      // The attacker's node key reaches only its own pending host, never B's.
      expect((await t.server.store.findHostByNodeKeyHash(digest(attacker.nodeKey)))?.host.id).toBe(
        attacker.hostId,
      );
    }
    // B's agent still checks in with its node key and B's key was neither archived nor replaced.
    expect((await config(t, b.nodeKey)).notifications.run_disk_encryption_escrow).toBe(false);
    const after = await t.server.store.getHostView(b.hostId);
    expect(after?.key?.base64_encrypted).toBe(b.envelope);
    expect(after?.host).toEqual(before?.host);
    expect(await t.server.store.listArchivedKeys(b.hostId)).toEqual([]);
    // B's timeline says that someone claimed to be it.
    const acts = await t.server.store.listActivities({ hostId: b.hostId, limit: 20 });
    expect(acts.filter((a) => a.type === 'host_claimed_without_proof')).toHaveLength(2);
  });

  it("a forged signature or a proof far from the server's clock is refused with 400", async () => {
    const b = await hostB();
    const proof = signedClaim(newHostKey(), b.identity.hardware_uuid);
    const forged = { ...proof, public_key: signedClaim(newHostKey(), 'x').public_key };
    const old = signedClaim(newHostKey(), b.identity.hardware_uuid, new Date(Date.now() - 3600_000));
    for (const [host_identity, error] of [
      [forged, /signature does not verify/],
      [old, /too far from the server clock/],
    ] as const) {
      const res = await t.post(AGENT_API_PATHS.enroll, {
        enroll_secret: t.init.enroll_secret,
        ...b.identity,
        host_identity,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
  });

  it('a reinstalled computer (new key) escrows on its pending host; an admin merge makes it B, audited', async () => {
    const b = await hostB();
    const reinstalled = await enroll(t, 'linux', b.identity.hardware_uuid, newHostKey());
    const env = await envelopeFor(t, reinstalled.nodeKey, luksKey(2));
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: reinstalled.nodeKey,
      key_slot: 4,
      salt: 'def',
      base64_encrypted: env,
      client_error: '',
    });
    const merge = `/api/latest/fleet/hosts/${reinstalled.hostId}/merge`;
    expect((await t.post(`/api/latest/fleet/hosts/${b.hostId}/merge`, {}, ADMIN())).status).toBe(404);
    const res = await t.post(merge, {}, ADMIN());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ host_id: b.hostId });
    // The reinstalled agent's node key is now B's; B's old node key is gone; B holds the new key.
    expect((await t.post(AGENT_API_PATHS.config, { orbit_node_key: b.nodeKey })).status).toBe(401);
    await config(t, reinstalled.nodeKey);
    const view = await t.server.store.findHostByNodeKeyHash(digest(reinstalled.nodeKey));
    expect(view?.host.id).toBe(b.hostId);
    expect(view?.key?.base64_encrypted).toBe(env);
    expect((await t.server.store.listArchivedKeys(b.hostId)).map((a) => a.reason)).toEqual(['merged']);
    const acts = await t.server.store.listActivities({ hostId: b.hostId, limit: 50 });
    expect(acts.find((a) => a.type === 'merged_pending_host')).toMatchObject({
      actor_kind: 'api_token',
    });
    expect((await t.post(merge, {}, ADMIN())).status).toBe(404);
  });
});

describe('config', () => {
  it('advertises what the server supports in X-Fleet-Capabilities on orbit answers, errors included', async () => {
    const { nodeKey } = await enroll(t);
    const ok = await t.post(AGENT_API_PATHS.config, { orbit_node_key: nodeKey });
    expect(ok.status).toBe(200);
    expect(ok.headers.get(CAPABILITIES_HEADER)?.split(',')).toEqual([
      'orbit_endpoints',
      'config_wait_for_change',
      'device_link',
    ]);
    const unknown = await t.post(AGENT_API_PATHS.config, { orbit_node_key: 'nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get(CAPABILITIES_HEADER)).toContain('config_wait_for_change');
    const bad = await t.post(AGENT_API_PATHS.luksData, {});
    expect(bad.status).toBe(400);
    expect(bad.headers.get(CAPABILITIES_HEADER)).toContain('orbit_endpoints');
    // Admin endpoints are not Fleet's orbit API and carry no such header.
    expect(
      (await t.get('/api/latest/fleet/hosts', t.init.admin_token)).headers.has(CAPABILITIES_HEADER),
    ).toBe(false);
  });

  it('returns the contract shape with the current escrow certificate', async () => {
    const { nodeKey } = await enroll(t);
    const c = await config(t, nodeKey);
    expect(ConfigResponse.parse(c)).toEqual(c);
    expect(c.escrow_certificate).toContain('BEGIN CERTIFICATE');
    expect(c.notifications).toEqual({
      run_disk_encryption_escrow: false,
      rotate_disk_encryption_key: false,
      enforce_bitlocker_encryption: false,
    });
    expect(c.disk_encryption.enabled).toBe(false);
  });

  it('asks a Linux host to escrow once encryption is on, and changes the version', async () => {
    const { nodeKey } = await enroll(t);
    const before = await config(t, nodeKey);
    await enableNoTeam();
    const after = await config(t, nodeKey);
    expect(after.notifications.run_disk_encryption_escrow).toBe(true);
    expect(after.config_version).not.toBe(before.config_version);
  });

  it('asks a Windows host to enforce BitLocker until a decryptable key arrives', async () => {
    await enableNoTeam();
    const { nodeKey } = await enroll(t, 'windows');
    expect((await config(t, nodeKey)).notifications.enforce_bitlocker_encryption).toBe(true);
    const env = await envelopeFor(t, nodeKey, BITLOCKER_KEY);
    const res = await t.post(AGENT_API_PATHS.diskEncryptionKey, {
      orbit_node_key: nodeKey,
      base64_encrypted: env,
      client_error: '',
    });
    expect(res.status).toBe(204);
    expect((await config(t, nodeKey)).notifications.enforce_bitlocker_encryption).toBe(false);
  });

  it('401s an unknown node key and 400s a bad wait_for_change', async () => {
    const res = await t.post(AGENT_API_PATHS.config, { orbit_node_key: 'nope' });
    expect(res.status).toBe(401);
    const { nodeKey } = await enroll(t);
    const bad = await t.post(AGENT_API_PATHS.config, {
      orbit_node_key: nodeKey,
      wait_for_change: { after_version: 'x', timeout_seconds: 600 },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^wait_for_change.timeout_seconds: /);
  });
});

describe('disk_encryption_status', () => {
  it('stores the report, shown in the host list', async () => {
    const { nodeKey, hostId } = await enroll(t);
    const res = await t.post(AGENT_API_PATHS.diskEncryptionStatus, {
      orbit_node_key: nodeKey,
      platform: 'linux',
      boot_volume_encrypted: true,
      luks: { device: '/dev/nvme0n1p3', uuid: 'u-1', key_slot: null, salt: null, token_state: 'none' },
      agent_version: '0.1.0',
    });
    expect(res.status).toBe(204);
    const host = (await (await t.get(`/api/latest/fleet/hosts/${hostId}`, ADMIN())).json()) as {
      host: { reported_status: { luks: { device: string } } };
    };
    expect(host.host.reported_status.luks.device).toBe('/dev/nvme0n1p3');
  });

  it('names the person at the screen and the postponed log-outs: host page, search, needs attention', async () => {
    await enableNoTeam();
    const mac = await enroll(t, 'darwin');
    const report = (extra: object) =>
      t.post(AGENT_API_PATHS.diskEncryptionStatus, {
        orbit_node_key: mac.nodeKey,
        platform: 'darwin',
        boot_volume_encrypted: true,
        filevault: { enabled: true, has_personal_recovery_key: false },
        agent_version: '0.2.0',
        ...extra,
      });
    expect((await report({ logged_in_user: '<b>grace</b>', logout_deferrals: 3 })).status).toBe(204);
    const host = async () =>
      (
        (await (await t.get(`/api/latest/fleet/hosts/${mac.hostId}`, ADMIN())).json()) as {
          host: {
            logged_in_user: string | null;
            logout_deferrals: number | null;
            needs_attention: { code: string; text: string }[];
          };
        }
      ).host;
    expect(await host()).toMatchObject({ logged_in_user: '<b>grace</b>', logout_deferrals: 3 });
    expect((await host()).needs_attention).toContainEqual({
      code: 'logout_postponed',
      text: 'The user postponed the log-out 3 times.',
    });
    const found = (await (await t.get('/api/latest/fleet/hosts?query=GRACE', ADMIN())).json()) as {
      hosts: { id: number }[];
    };
    expect(found.hosts.map((h) => h.id)).toEqual([mac.hostId]);
    const attention = (await (await t.get('/api/latest/fleet/hosts/needs_attention', ADMIN())).json()) as {
      hosts: { host: { id: number }; reasons: { code: string }[] }[];
    };
    expect(attention.hosts.find((h) => h.host.id === mac.hostId)?.reasons.map((r) => r.code)).toContain(
      'logout_postponed',
    );
    // The user logged out and the new key is on its way: no log-out asked for, still the same person's Mac.
    expect((await report({ logged_in_user: null, logout_deferrals: null })).status).toBe(204);
    expect(await host()).toMatchObject({ logged_in_user: '<b>grace</b>', logout_deferrals: null });
    // An agent from before these fields is still accepted; a negative count or an oversized name is not.
    expect((await report({})).status).toBe(204);
    expect((await report({ logout_deferrals: -1 })).status).toBe(400);
    expect((await report({ logged_in_user: 'x'.repeat(257) })).status).toBe(400);
  });

  it('400s a platform that differs from the enrolled one, and a bad slot', async () => {
    const { nodeKey } = await enroll(t);
    const base = { orbit_node_key: nodeKey, boot_volume_encrypted: true, agent_version: '1' };
    expect((await t.post(AGENT_API_PATHS.diskEncryptionStatus, { ...base, platform: 'darwin' })).status).toBe(
      400,
    );
    const bad = await t.post(AGENT_API_PATHS.diskEncryptionStatus, {
      ...base,
      platform: 'linux',
      luks: { device: 'd', uuid: 'u', key_slot: 40, salt: null, token_state: 'none' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^luks.key_slot: /);
  });

  it('a report that our slot was removed brings the escrow request back (Fleet #28750)', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t);
    const env = await envelopeFor(t, nodeKey, luksKey(2));
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 2,
      salt: 's1',
      base64_encrypted: env,
      client_error: '',
    });
    await t.server.keyChecksSettled();
    expect(await hostStatus(hostId)).toBe('verified');
    await t.post(AGENT_API_PATHS.diskEncryptionStatus, {
      orbit_node_key: nodeKey,
      platform: 'linux',
      boot_volume_encrypted: true,
      luks: { device: 'd', uuid: 'u', key_slot: 2, salt: 'OTHER', token_state: 'escrowed' },
      agent_version: '1',
    });
    expect(await hostStatus(hostId)).toBe('action_required');
    expect((await config(t, nodeKey)).notifications.run_disk_encryption_escrow).toBe(true);
  });
});

describe('luks_data', () => {
  it('stores a decryptable key: status verified', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t);
    expect(await hostStatus(hostId)).toBe('action_required');
    const env = await envelopeFor(t, nodeKey, luksKey(3));
    const res = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 5,
      salt: 'c2FsdA==',
      base64_encrypted: env,
      client_error: '',
    });
    expect(res.status).toBe(204);
    // Checked after the answer (the decryptability oracle): unchecked for a moment, then verified.
    await t.server.keyChecksSettled();
    expect(await hostStatus(hostId)).toBe('verified');
  });

  it('marks an envelope that does not decrypt to a LUKS key as not decryptable', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t);
    const wrongShape = await envelopeFor(t, nodeKey, BITLOCKER_KEY);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: wrongShape,
      client_error: '',
    });
    await t.server.keyChecksSettled();
    expect(await hostStatus(hostId)).toBe('action_required');
    expect((await t.server.store.getHostView(hostId))?.key?.decryptable).toBe(false);
    expect(
      (await t.get(`/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())).status,
    ).toBe(404);
  });

  it("400s a submission without the key fields, with Fleet's message adapted", async () => {
    const { nodeKey } = await enroll(t);
    const res = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 1,
      client_error: '',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      'base64_encrypted, salt, and key_slot must be provided to escrow LUKS data',
    );
    const notBase64 = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: 'not base64!',
      client_error: '',
    });
    expect(notBase64.status).toBe(400);
  });

  it('an error-only report makes the host failed but keeps the good key', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t);
    const key = luksKey(4);
    const env = await envelopeFor(t, nodeKey, key);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: env,
      client_error: '',
    });
    const err = await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: nodeKey,
      client_error: 'slot busy',
    });
    expect(err.status).toBe(204);
    expect(await hostStatus(hostId)).toBe('failed');
    const read = (await (
      await t.get(`/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())
    ).json()) as {
      encryption_key: { key: string };
    };
    expect(read.encryption_key.key).toBe(key);
  });

  it('is idempotent on escrow_id', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t);
    const body = {
      orbit_node_key: nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: await envelopeFor(t, nodeKey, luksKey(5)),
      client_error: '',
      escrow_id: randomUUID(),
    };
    expect((await t.post(AGENT_API_PATHS.luksData, body)).status).toBe(204);
    const first = await t.server.store.getHostView(hostId);
    expect((await t.post(AGENT_API_PATHS.luksData, body)).status).toBe(204);
    expect((await t.server.store.getHostView(hostId))?.key?.version).toBe(first?.key?.version);
  });

  it('refuses a key for another platform and rate-limits submissions per host', async () => {
    const mac = await enroll(t, 'darwin');
    const wrong = await t.post(AGENT_API_PATHS.luksData, { orbit_node_key: mac.nodeKey, client_error: 'x' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'this endpoint is for Linux hosts' });
    await t.close();
    t = await startTestServer({ rateLimits: { keySubmit: { burst: 2, perSecond: 0.001 } } });
    const { nodeKey } = await enroll(t);
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push(
        (await t.post(AGENT_API_PATHS.luksData, { orbit_node_key: nodeKey, client_error: 'e' })).status,
      );
    }
    expect(codes).toEqual([204, 204, 429]);
  });
});

describe('disk_encryption_key (BitLocker) and filevault_prk (macOS)', () => {
  it('stores a BitLocker key; an admin reads it back', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t, 'windows');
    await t.post(AGENT_API_PATHS.diskEncryptionKey, {
      orbit_node_key: nodeKey,
      base64_encrypted: await envelopeFor(t, nodeKey, BITLOCKER_KEY),
      client_error: '',
    });
    const read = (await (
      await t.get(`/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`, ADMIN())
    ).json()) as {
      encryption_key: { key: string };
    };
    expect(read.encryption_key.key).toBe(BITLOCKER_KEY);
  });

  it('400s a BitLocker submission with neither key nor error', async () => {
    const { nodeKey } = await enroll(t, 'windows');
    const res = await t.post(AGENT_API_PATHS.diskEncryptionKey, {
      orbit_node_key: nodeKey,
      client_error: '',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/base64_encrypted must be provided/);
  });

  it('stores a FileVault PRK: verified; a FileVault host without key and FileVault off is enforcing', async () => {
    await enableNoTeam();
    const { nodeKey, hostId } = await enroll(t, 'darwin');
    expect(await hostStatus(hostId)).toBe('enforcing');
    const res = await t.post(AGENT_API_PATHS.filevaultPrk, {
      orbit_node_key: nodeKey,
      base64_encrypted: await envelopeFor(t, nodeKey, FILEVAULT_PRK),
      client_error: '',
    });
    expect(res.status).toBe(204);
    // Checked after the answer (the decryptability oracle): unchecked for a moment, then verified.
    await t.server.keyChecksSettled();
    expect(await hostStatus(hostId)).toBe('verified');
  });

  it('400s a PRK submission missing the node key', async () => {
    const res = await t.post(AGENT_API_PATHS.filevaultPrk, { base64_encrypted: 'AA==', client_error: '' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^orbit_node_key: /);
  });
});
