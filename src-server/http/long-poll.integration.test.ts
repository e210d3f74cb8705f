import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS, type ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { config, enroll, hostIdentity, startTestServer, type TestServer } from '../test-support/server.js';
import { digest, newSecret } from './secrets.js';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

function waitForChange(nodeKey: string, afterVersion: string, timeoutSeconds: number) {
  return t
    .post(AGENT_API_PATHS.config, {
      orbit_node_key: nodeKey,
      wait_for_change: { after_version: afterVersion, timeout_seconds: timeoutSeconds },
    })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as ConfigResponse, at: Date.now() }));
}

async function until(cond: () => boolean) {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('config long-poll', () => {
  it('answers at once when the version already differs', async () => {
    const { nodeKey } = await enroll(t);
    const r = await waitForChange(nodeKey, 'stale-version', 30);
    expect(r.status).toBe(200);
    expect(r.body.config_version).not.toBe('stale-version');
    expect(t.server.waitingAgents()).toBe(0);
  });

  it('holds the request and wakes it when an admin turns encryption on', async () => {
    const { nodeKey } = await enroll(t);
    const current = await config(t, nodeKey);
    const pending = waitForChange(nodeKey, current.config_version, 50);
    await until(() => t.server.waitingAgents() === 1);
    const changedAt = Date.now();
    const res = await t.post(
      '/api/latest/fleet/disk_encryption',
      { team_id: null, enable_disk_encryption: true },
      t.init.admin_token,
    );
    expect(res.status).toBe(204);
    const r = await pending;
    expect(r.body.notifications.run_disk_encryption_escrow).toBe(true);
    expect(r.body.config_version).not.toBe(current.config_version);
    // Informational: the test's own 60 s timeout is the only hard limit (speed goals live in bench/).
    expect(r.at).toBeGreaterThanOrEqual(changedAt);
    expect(t.server.waitingAgents()).toBe(0);
  });

  it('wakes a thousand waiting hosts at once (the bulk path, answered over several turns)', async () => {
    const hosts = 1100;
    const nodeKeys: string[] = [];
    for (let i = 0; i < hosts; i++) {
      const nodeKey = newSecret();
      await t.server.store.enrollHost(hostIdentity('linux', randomUUID()), digest(nodeKey));
      nodeKeys.push(nodeKey);
    }
    // Every host has the same config here (no keys yet, one team), so one read gives every version.
    const before = (await config(t, nodeKeys[0] as string)).config_version;
    const pending = nodeKeys.map((k) => waitForChange(k, before, 50));
    await until(() => t.server.waitingAgents() === hosts);
    const res = await t.post(
      '/api/latest/fleet/disk_encryption',
      { team_id: null, enable_disk_encryption: true },
      t.init.admin_token,
    );
    expect(res.status).toBe(204);
    const answers = await Promise.all(pending);
    expect(
      answers.filter((a) => a.status === 200 && a.body.notifications.run_disk_encryption_escrow),
    ).toHaveLength(hosts);
    expect(new Set(answers.map((a) => a.body.config_version))).toEqual(
      new Set([answers[0]?.body.config_version]),
    );
    expect(answers[0]?.body.config_version).not.toBe(before);
    expect(t.server.waitingAgents()).toBe(0);
  });

  it('wakes only the host that changed', async () => {
    await t.post(
      '/api/latest/fleet/disk_encryption',
      { team_id: null, enable_disk_encryption: true },
      t.init.admin_token,
    );
    const a = await enroll(t);
    const b = await enroll(t);
    const va = (await config(t, a.nodeKey)).config_version;
    const vb = (await config(t, b.nodeKey)).config_version;
    const pa = waitForChange(a.nodeKey, va, 50);
    let bDone = false;
    const pb = waitForChange(b.nodeKey, vb, 2).then((r) => {
      bDone = true;
      return r;
    });
    await until(() => t.server.waitingAgents() === 2);
    await t.post(`/api/latest/fleet/hosts/${a.hostId}/rotate_encryption_key`, {}, t.init.admin_token);
    const ra = await pa;
    expect(ra.body.notifications.rotate_disk_encryption_key).toBe(true);
    expect(bDone).toBe(false);
    const rb = await pb;
    expect(rb.body.config_version).toBe(vb);
  });

  it('answers with the unchanged config when the timeout passes', async () => {
    const { nodeKey } = await enroll(t);
    const v = (await config(t, nodeKey)).config_version;
    const start = Date.now();
    const r = await waitForChange(nodeKey, v, 1);
    expect(r.status).toBe(200);
    expect(r.body.config_version).toBe(v);
    expect(r.at - start).toBeGreaterThanOrEqual(900);
  });

  it('forgets a waiter whose client went away', async () => {
    const { nodeKey } = await enroll(t);
    const v = (await config(t, nodeKey)).config_version;
    const ac = new AbortController();
    const p = fetch(t.url + AGENT_API_PATHS.config, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        orbit_node_key: nodeKey,
        wait_for_change: { after_version: v, timeout_seconds: 50 },
      }),
      signal: ac.signal,
    }).catch(() => 'aborted');
    await until(() => t.server.waitingAgents() === 1);
    ac.abort();
    expect(await p).toBe('aborted');
    await until(() => t.server.waitingAgents() === 0);
    // fetch's abort leaves the TCP connection open; shutdown must not wait out the 72 s keep-alive for it
    // (this test's own timeout is what fails if it does).
    await t.server.close();
  }, 15_000);

  it('holds at most two requests per host; a third answers the oldest at once', async () => {
    const { nodeKey } = await enroll(t);
    const v = (await config(t, nodeKey)).config_version;
    const done: number[] = [];
    // Each hold is registered before the next is sent, so "oldest" is well defined.
    const hold = async (n: number) => {
      const answered = waitForChange(nodeKey, v, 50).then(() => done.push(n));
      await until(() => t.server.waitingAgents() === Math.min(n, 2));
      return { answered };
    };
    await hold(1);
    await hold(2);
    await hold(3);
    // Without the cap nothing is answered before the 50 s hold timeout; 20 s is a generous margin.
    const deadline = Date.now() + 20_000;
    await until(() => done.length > 0 || Date.now() > deadline);
    expect(done).toEqual([1]);
    expect(t.server.waitingAgents()).toBe(2);
  });

  it('releases held requests with the current config on shutdown', async () => {
    const { nodeKey } = await enroll(t);
    const v = (await config(t, nodeKey)).config_version;
    const pending = waitForChange(nodeKey, v, 50);
    await until(() => t.server.waitingAgents() === 1);
    await t.server.close();
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body.config_version).toBe(v);
  });
});
