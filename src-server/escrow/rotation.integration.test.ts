import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, type ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import {
  config,
  enroll,
  envelopeFor,
  luksKey,
  startTestServer,
  type TestServer,
} from '../test-support/server.js';
import { addEscrowKeyGeneration, loadEscrowKeys } from './key-files.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
  await t.post(
    '/api/latest/fleet/disk_encryption',
    { team_id: null, enable_disk_encryption: true },
    t.init.admin_token,
  );
});
afterEach(async () => {
  await t.close();
});

async function readKey(hostId: number): Promise<string | number> {
  const res = await t.get(
    `/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`,
    t.init.admin_token,
  );
  if (res.status !== 200) return res.status;
  return ((await res.json()) as { encryption_key: { key: string } }).encryption_key.key;
}

describe('escrow certificate rotation (Fleet #37130)', () => {
  it('new keys go to the new certificate; keys under the old one still decrypt; old files untouched', async () => {
    const oldHost = await enroll(t);
    const oldKey = luksKey(21);
    const oldEnvelope = await envelopeFor(t, oldHost.nodeKey, oldKey);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: oldHost.nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: oldEnvelope,
      client_error: '',
    });
    const before = await config(t, oldHost.nodeKey);
    const oldKeyFile = (await loadEscrowKeys(t.dataDir)).current.certificatePath.replace(
      '.cert.pem',
      '.key.pem',
    );
    const oldKeyBytes = readFileSync(oldKeyFile);

    // A host waiting on a long-poll hears about the new certificate.
    const waiting = t
      .post(AGENT_API_PATHS.config, {
        orbit_node_key: oldHost.nodeKey,
        wait_for_change: { after_version: before.config_version, timeout_seconds: 50 },
      })
      .then(async (r) => (await r.json()) as ConfigResponse);
    while (t.server.waitingAgents() === 0) await new Promise((r) => setTimeout(r, 10));

    const next = await addEscrowKeyGeneration(t.dataDir);
    expect(next.generation).toBe(2);
    expect(statSync(next.certificatePath.replace('.cert.pem', '.key.pem')).mode & 0o777).toBe(0o600);
    expect(await t.server.reloadEscrowKeys()).toBe(true);
    const woke = await waiting;
    expect(woke.escrow_certificate).toBe(next.certificatePem);
    expect(woke.escrow_certificate).not.toBe(before.escrow_certificate);

    const newHost = await enroll(t);
    const newKey = luksKey(22);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: newHost.nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: await envelopeFor(t, newHost.nodeKey, newKey),
      client_error: '',
    });
    // An agent that still had the old certificate cached escrows to it after the rotation: still fine.
    const lateHost = await enroll(t);
    const lateKey = luksKey(23);
    const { encryptToCertificate } = await import('../../node-lib/cms/index.js');
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: lateHost.nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: (
        await encryptToCertificate(Buffer.from(lateKey), before.escrow_certificate)
      ).toString('base64'),
      client_error: '',
    });

    expect(await readKey(oldHost.hostId)).toBe(oldKey);
    expect(await readKey(newHost.hostId)).toBe(newKey);
    expect(await readKey(lateHost.hostId)).toBe(lateKey);
    expect(readFileSync(oldKeyFile).equals(oldKeyBytes)).toBe(true);
  });

  it('a server that did not reload yet picks up a new generation when an envelope to it arrives', async () => {
    const host = await enroll(t);
    const next = await addEscrowKeyGeneration(t.dataDir);
    const { encryptToCertificate } = await import('../../node-lib/cms/index.js');
    const key = luksKey(24);
    await t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: host.nodeKey,
      key_slot: 1,
      salt: 's',
      base64_encrypted: (await encryptToCertificate(Buffer.from(key), next.certificatePem)).toString(
        'base64',
      ),
      client_error: '',
    });
    await t.server.keyChecksSettled();
    expect(await readKey(host.hostId)).toBe(key);
    expect((await config(t, host.nodeKey)).escrow_certificate).toBe(next.certificatePem);
  });
});
