import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { opens } from '../../src-agent/linux/test-support/luks-image.js';
import { type AgentWorld, eventually, makeWorld } from './test-support/agent-harness.js';
import { answeringProxy } from './test-support/answering-proxy.js';

const PASSPHRASE = 'slow down passphrase';

/**
 * The agent and a server that is down for a while or asks it to slow down (issue 18, findings 9 and 10).
 */
describe('agent: outages and "slow down" from the server', () => {
  let world: AgentWorld | null = null;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    await world?.cleanup();
    world = null;
  });

  async function readyForEscrow(extra: Parameters<AgentWorld['startAgent']>[0] = {}) {
    world = await makeWorld(PASSPHRASE);
    const w = world;
    await w.server.enableEncryption();
    await w.startAgent(extra);
    const { client, events } = await w.connect();
    await eventually(async () => (await client.request('status.get', {})).action, 'the prompt');
    return { w, client, events };
  }

  /**
   * Finding 10. With a long backoff (30–60 s, so that the old behaviour cannot pass by luck: its first
   * retry after a failure waits at least 15 s), a key queued during a 3 s outage must reach the server within
   * seconds of its return. Before the fix the agent slept out its backoff: checked by running this test
   * against the old config-follower.ts, where the key arrived 26 s after the server was back.
   */
  it('a key queued during an outage reaches the server within seconds of its return, whatever the backoff', async () => {
    const { w, client } = await readyForEscrow({ retry: { baseMs: 30_000, maxMs: 60_000 } });
    await w.server.stop();
    await eventually(
      async () => (await client.request('status.get', {})).server.state === 'unreachable',
      'the agent to notice the server is gone',
    );
    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    expect(result).toMatchObject({ outcome: 'queued', queuedBecause: 'unreachable' });
    await new Promise((r) => setTimeout(r, 3000));

    await w.server.start();
    const back = Date.now();
    const hostId = await w.server.onlyHostId();
    const key = await eventually(() => w.server.escrowedKey(hostId), 'the key on the server', 60_000);
    const ms = Date.now() - back;
    expect(ms).toBeLessThan(6000);
    expect(opens(w.image.path, key, result.keySlot)).toBe(true);
  });

  /**
   * Finding 9. A 429 on the key upload: before the fix the agent logged "server unreachable, key queued",
   * the desktop heard nothing but "uploading", and the key waited for the next check-in (up to a minute)
   * whatever Retry-After said. Now: a distinct result and status, the truth in the log, and the key sent
   * once Retry-After has passed, not before.
   */
  it('HTTP 429 on the key upload: "asked us to slow down", the key is safe, and it is sent after Retry-After', async () => {
    let refuse = 1;
    const proxy = await answeringProxy(
      () => world?.server.url ?? '',
      (path) =>
        path === AGENT_API_PATHS.luksData && refuse-- > 0
          ? { status: 429, headers: { 'retry-after': '2' } }
          : null,
    );
    closers.push(proxy.close);
    const { w, client } = await readyForEscrow({ serverUrl: proxy.url });
    const result = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE));
    expect(result).toMatchObject({ outcome: 'queued', queuedBecause: 'slow_down' });
    const status = await eventually(async () => {
      const s = await client.request('status.get', {});
      return s.server.slowDown ? s : null;
    }, 'the slow-down in the status');
    expect(status.server.state).toBe('connected');
    expect(status.server.slowDown?.retryAt).toBe(result.retryAt);
    expect(status.volumes[0]?.escrow.state).toBe('uploading');

    const hostId = await w.server.onlyHostId();
    await eventually(() => w.server.escrowedKey(hostId), 'the key on the server', 30_000);
    const uploads = proxy.requests.filter((r) => r.path === AGENT_API_PATHS.luksData);
    expect(uploads.map((u) => u.answered)).toEqual([429, 'passed']);
    const [first, second] = uploads as [(typeof uploads)[0], (typeof uploads)[0]];
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
    expect(second.at - first.at).toBeLessThan(6000); // sent once allowed, not at the next check-in

    const logs = w.agentLogs.join('');
    expect(logs).toContain('asked us to slow down');
    expect(logs).not.toContain('server unreachable, key queued');
    await eventually(
      async () => (await client.request('status.get', {})).server.slowDown === undefined,
      'the slow-down to end',
    );
  });

  it('HTTP 429 on the check-in: connected and slowed down, never "unreachable"; no check-in before Retry-After', async () => {
    let slowDown = false;
    const proxy = await answeringProxy(
      () => world?.server.url ?? '',
      (path) =>
        slowDown && path === AGENT_API_PATHS.config ? { status: 429, headers: { 'retry-after': '3' } } : null,
    );
    closers.push(proxy.close);
    const { w, client } = await readyForEscrow({ serverUrl: proxy.url, retry: { baseMs: 200, maxMs: 500 } });
    slowDown = true;
    // A policy change releases the held check-in; the next one meets the 429.
    const r = await w.server.admin('POST', '/disk_encryption', {
      team_id: null,
      enable_disk_encryption: true,
      max_deferrals: 3,
    });
    expect(r.status).toBe(204);
    const slowed = await eventually(async () => {
      const s = await client.request('status.get', {});
      return s.server.slowDown ? s : null;
    }, 'the slow-down in the status');
    expect(slowed.server.state).toBe('connected');
    const answered = proxy.requests.filter((r) => r.path === AGENT_API_PATHS.config && r.answered === 429);
    await new Promise((r) => setTimeout(r, 4000));
    slowDown = false;
    const checkIns = proxy.requests.filter((r) => r.path === AGENT_API_PATHS.config);
    const after429 = checkIns.filter((r) => r.at > (answered[0]?.at ?? 0));
    // The first 429 holds the next check-in back for 3 s (a 200 ms backoff would have made ~15 of them).
    expect(after429.length).toBeLessThanOrEqual(2);
    if (after429[0]) expect(after429[0].at - (answered[0]?.at ?? 0)).toBeGreaterThanOrEqual(3000);
    const states = w.agentLogs.join('');
    expect(states).toContain('asked us to slow down');
  });
});
