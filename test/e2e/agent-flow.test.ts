import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../ipc/desktop-agent/messages.js';
import { headerJson } from '../../src-agent/linux/test-support/harness.js';
import { opens } from '../../src-agent/linux/test-support/luks-image.js';
import { type AgentWorld, allFiles, eventually, makeWorld } from './test-support/agent-harness.js';

// Spaces, non-ASCII and length: passphrases are bytes, never trimmed or re-encoded.
const PASSPHRASE = 'correct horse battery staple — ünïcødé ✓ '.repeat(3);

let world: AgentWorld | null = null;
afterEach(async () => {
  await world?.cleanup();
  world = null;
});

const actionOf = (events: AgentEvent[]) =>
  events.flatMap((e) => (e.event === 'action_required' && e.data.kind === 'luks_passphrase' ? [e.data] : []));

describe('escrow agent against the real server and a real LUKS2 image', () => {
  it('enrolls, prompts, escrows over IPC with progress; the server returns a key that opens the image', async () => {
    world = await makeWorld(PASSPHRASE, 3);
    const w = world;
    await w.server.enableEncryption();
    await w.startAgent();
    const { client, events } = await w.connect();
    expect(client.welcome.peer).toMatchObject({ uid: 0, mayEscrow: true });

    const action = await eventually(
      async () => (await client.request('status.get', {})).action,
      'the agent to ask for the passphrase',
    );
    expect(action).toMatchObject({
      kind: 'luks_passphrase',
      reason: 'no_key',
      remindAt: null,
      cooldownUntil: null,
    });
    expect((await stat(path.join(w.stateDir, 'node-key'))).mode & 0o777).toBe(0o600);

    // "Not now": the prompt is snoozed (persisted), the action stays visible with its reminder time.
    const { remindAt } = await client.request('luks.remindLater', {});
    expect(Date.parse(remindAt) - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    const snoozed = await client.request('status.get', {});
    expect(snoozed.action).toMatchObject({ kind: 'luks_passphrase', remindAt });

    // A wrong passphrase changes nothing on the disk and says how many attempts are left.
    const wrong = await client.request('recoveryKey.create', {}, Buffer.from('not it')).catch((e) => e);
    expect(wrong).toMatchObject({ code: 'wrong_passphrase', details: { attemptsLeft: 4 } });
    expect(Object.keys(headerJson(w.image.path).keyslots)).toEqual(['3']);

    const firstEvent = events.length;
    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    expect(result).toMatchObject({ outcome: 'escrowed' });
    const steps = events.slice(firstEvent).flatMap((e) => (e.event === 'progress' ? [e.data.step] : []));
    expect(steps).toEqual(['checking_passphrase', 'saving_to_disk', 'verifying', 'uploading']);
    await eventually(
      () => events.find((e) => e.event === 'escrow_result' && e.data.outcome === 'escrowed'),
      'an escrow_result event',
    );

    const hostId = await w.server.onlyHostId();
    const key = await eventually(() => w.server.escrowedKey(hostId), 'the server to hold the key');
    expect(key).toMatch(/^([cbdefghijklnrtuv]{8}-){7}[cbdefghijklnrtuv]{8}$/);
    expect(opens(w.image.path, key, result.keySlot)).toBe(true);
    expect(opens(w.image.path, PASSPHRASE, 3)).toBe(true);

    const after = await eventually(async () => {
      const s = await client.request('status.get', {});
      return s.volumes[0]?.escrow.state === 'escrowed' && s.action === null ? s : null;
    }, 'status escrowed');
    // Once the server has the key, nothing asks the user again (not even for the moment before the
    // long-poll brings the server's next config).
    expect(actionOf(events.slice(firstEvent))).toEqual([]);
    expect(after.volumes[0]?.escrow.keySlot).toBe(result.keySlot);
    expect(after.server.state).toBe('connected');
    const host = (await w.server.admin('GET', `/hosts/${hostId}`)).body.host;
    expect(host.reported_status.luks).toMatchObject({ key_slot: result.keySlot, token_state: 'escrowed' });

    // Neither the passphrase nor the key anywhere in logs (agent and server), state dir or journal.
    const haystacks = [
      { file: 'agent log', bytes: Buffer.from(w.agentLogs.join('')) },
      { file: 'server log', bytes: Buffer.from(w.server.logs.join('')) },
      ...(await allFiles(w.stateDir)),
      ...(await allFiles(path.dirname(w.socketPath))),
    ];
    expect(w.agentLogs.join('')).toContain('recovery key escrowed'); // the search below reads real logs
    for (const needle of [PASSPHRASE, PASSPHRASE.trim(), key, key.replaceAll('-', '')]) {
      const hits = haystacks.filter((h) => h.bytes.includes(Buffer.from(needle)));
      expect(hits.map((h) => h.file)).toEqual([]);
    }
  });

  it('server down during escrow: queued, then escrowed once the server is back', async () => {
    world = await makeWorld(PASSPHRASE);
    const w = world;
    await w.server.enableEncryption();
    await w.startAgent();
    const { client, events } = await w.connect();
    await eventually(async () => (await client.request('status.get', {})).action, 'the prompt');
    await w.server.stop();
    await eventually(
      async () => (await client.request('status.get', {})).server.state === 'unreachable',
      'the agent to notice the server is gone',
    );

    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    expect(result).toMatchObject({ outcome: 'queued', escrowedAt: null });
    const queued = await eventually(async () => {
      const s = await client.request('status.get', {});
      return s.volumes[0]?.escrow.state === 'in_progress' ? null : s;
    }, 'the status after the escrow');
    expect(queued.volumes[0]?.escrow).toMatchObject({ state: 'uploading', keySlot: result.keySlot });
    expect(queued.action).toBeNull();
    expect(headerJson(w.image.path).keyslots[String(result.keySlot)]).toBeDefined();

    await w.server.start();
    await eventually(
      () => events.find((e) => e.event === 'escrow_result' && e.data.outcome === 'escrowed'),
      'the queued key to be escrowed',
    );
    const hostId = await w.server.onlyHostId();
    const key = await eventually(() => w.server.escrowedKey(hostId), 'the key on the server');
    expect(opens(w.image.path, key, result.keySlot)).toBe(true);
    const s = await client.request('status.get', {});
    expect(s.volumes[0]?.escrow.state).toBe('escrowed');
  });

  it('a rotation decided on the server reaches the desktop as an event; rotating replaces the slot', async () => {
    world = await makeWorld(PASSPHRASE, 1);
    const w = world;
    await w.server.enableEncryption();
    await w.startAgent();
    const { client, events } = await w.connect();
    await eventually(async () => (await client.request('status.get', {})).action, 'the prompt');
    const first = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    const hostId = await w.server.onlyHostId();
    await eventually(async () => (await client.request('status.get', {})).action === null, 'no action');
    const before = actionOf(events).length;

    const t0 = performance.now();
    const r = await w.server.admin('POST', `/hosts/${hostId}/rotate_encryption_key`);
    expect(r.status).toBe(204);
    const rotation = await eventually(
      () =>
        actionOf(events)
          .slice(before)
          .find((a) => a.reason === 'rotation_requested'),
      'the rotation prompt',
    );
    const latencyMs = performance.now() - t0;
    console.log(`server decision → desktop action_required event: ${latencyMs.toFixed(1)} ms`);
    expect(rotation.volumeId).toBe(first.keySlot === null ? '' : rotation.volumeId);

    const second = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    expect(second.outcome).toBe('escrowed');
    expect(second.keySlot).not.toBe(first.keySlot);
    const slots = Object.keys(headerJson(w.image.path).keyslots).sort();
    expect(slots).toEqual(['1', String(second.keySlot)].sort());
    const key = await eventually(async () => {
      const k = await w.server.escrowedKey(hostId);
      return k && opens(w.image.path, k, second.keySlot) ? k : null;
    }, 'the rotated key on the server');
    expect(opens(w.image.path, key)).toBe(true);
    await eventually(async () => (await client.request('status.get', {})).action === null, 'rotation done');
  });
});
