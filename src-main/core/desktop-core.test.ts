import { afterEach, describe, expect, it } from 'vitest';
import { AgentRequestError } from '../../node-lib/agent-socket/client.js';
import { RecordingShell } from '../../web-harness/recording-shell.js';
import { DesktopCore } from './desktop-core.js';
import { FakeConnection, luks, startCore, status } from './test-support/core-rig.js';
import { FAKE_CLOCK_START, FakeClock } from './test-support/fake-clock.js';

// The core wired to a recording shell, a scripted agent and a fake clock. The log-out prompt has its own
// file (desktop-core-logout.test.ts); the flows' decisions alone are tested in passphrase-flow.test.ts
// and logout-flow.test.ts.

let core: DesktopCore | null = null;

async function setup(opts: Parameters<typeof startCore>[0] = {}) {
  const rig = await startCore(opts);
  core = rig.core;
  return rig;
}

afterEach(() => {
  core?.stop();
  core = null;
});

describe('action needed', () => {
  it('notifies once per request, and a click opens the dialog', async () => {
    const { conn, shell } = await setup();
    const notices = () => shell.records.filter((r) => r.type === 'notify');
    expect(notices()).toHaveLength(1);
    expect(shell.openWindows()).toEqual([]);
    conn.push({ type: 'event', event: 'status', data: conn.status }); // a refresh, same request
    expect(notices()).toHaveLength(1);
    shell.clickNotification(shell.snapshot().notifications[0]?.id ?? 0);
    expect(shell.openWindows()).toEqual(['passphrase']);
  });

  it('withdraws the notification once the agent no longer asks', async () => {
    const { conn, shell } = await setup();
    expect(shell.snapshot().notifications).toHaveLength(1);
    conn.push({ type: 'event', event: 'status', data: status(null) });
    expect(shell.snapshot().notifications).toEqual([]);
    expect(shell.records.at(-1)).toEqual({ type: 'withdraw', tag: 'action' });
  });

  it('opens the dialog itself when there is no tray', async () => {
    const { shell } = await setup({ hasTray: false });
    expect(shell.records.some((r) => r.type === 'notify')).toBe(true);
    expect(shell.openWindows()).toEqual(['passphrase']);
  });

  it('waits for a reminder time in the future before notifying', async () => {
    const remindAt = new Date(FAKE_CLOCK_START + 60_000).toISOString();
    const { shell, clock } = await setup({ action: { ...luks, remindAt } });
    expect(shell.records.some((r) => r.type === 'notify')).toBe(false);
    await clock.advance(60_001);
    expect(shell.records.filter((r) => r.type === 'notify')).toHaveLength(1);
  });
});

describe('a request the agent withdraws at once', () => {
  it('interrupts nobody, and leaves the success screen alone', async () => {
    const { conn, core, shell, clock } = await setup({ action: null, settleMs: 300 });
    conn.handlers['recoveryKey.create'] = async () => ({
      outcome: 'escrowed',
      keySlot: 0,
      escrowedAt: new Date(clock.now()).toISOString(),
    });
    await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'x' });
    // Seen with the real agent: right after an escrow, a stale server poll re-asks for 15 ms.
    conn.push({ type: 'event', event: 'status', data: status({ ...luks, reason: 'rotation_requested' }) });
    await clock.advance(15);
    conn.push({ type: 'event', event: 'status', data: status(null) });
    await clock.advance(1000);
    expect(shell.records.filter((r) => r.type === 'notify')).toEqual([]);
    expect(core.getState().passphrase.phase).toBe('success');
  });

  it('still announces a request that stays', async () => {
    const { shell, clock } = await setup({ settleMs: 300 });
    expect(shell.records.filter((r) => r.type === 'notify')).toEqual([]);
    await clock.advance(300);
    expect(shell.records.filter((r) => r.type === 'notify')).toHaveLength(1);
  });
});

describe('create recovery key', () => {
  it('sends the passphrase as a secret Buffer and wipes it right after', async () => {
    const { conn, core, clock } = await setup();
    conn.handlers['recoveryKey.create'] = async () => ({
      outcome: 'escrowed',
      keySlot: 2,
      escrowedAt: new Date(clock.now()).toISOString(),
    });
    const r = await core.handleRequest('passphrase', {
      type: 'createRecoveryKey',
      passphrase: 'hunter2 hunter2',
    });
    expect(r.ok).toBe(true);
    const call = conn.calls.find((c) => c.method === 'recoveryKey.create');
    expect(call?.secretAtCall).toBe('hunter2 hunter2');
    expect(call?.params).toEqual({ volumeId: 'root' });
    expect([...(call?.secret ?? Buffer.from('x'))].every((b) => b === 0)).toBe(true);
    expect(core.getState().passphrase).toMatchObject({ phase: 'success', result: { keySlot: 2 } });
    expect(JSON.stringify(core.getState())).not.toContain('hunter2');
  });

  it('refuses a second submit while one runs, and shows progress steps', async () => {
    const { conn, core } = await setup();
    let finish: (v: unknown) => void = () => {};
    conn.handlers['recoveryKey.create'] = () => new Promise((r) => (finish = r));
    const first = core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'a' });
    const second = await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'b' });
    expect(second).toMatchObject({ ok: false, error: { code: 'busy' } });
    conn.push({ type: 'event', event: 'progress', data: { requestId: 1, step: 'creating_key' } });
    expect(core.getState().passphrase).toMatchObject({ phase: 'submitting', step: 'creating_key' });
    finish({ outcome: 'queued', keySlot: 1, escrowedAt: null });
    await first;
    expect(conn.calls.filter((c) => c.method === 'recoveryKey.create')).toHaveLength(1);
    expect(core.getState().passphrase.result?.outcome).toBe('queued');
  });

  it('shows a wrong passphrase with the attempts left', async () => {
    const { conn, core } = await setup();
    conn.handlers['recoveryKey.create'] = async () => {
      throw new AgentRequestError('wrong_passphrase', 'did not unlock', { attemptsLeft: 2 });
    };
    await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'x' });
    expect(core.getState().passphrase).toMatchObject({
      phase: 'error',
      error: { code: 'wrong_passphrase', attemptsLeft: 2 },
    });
  });

  it('holds a cool-down until its time, then allows input again', async () => {
    const { conn, core, clock } = await setup();
    const until = new Date(clock.now() + 5 * 60_000).toISOString();
    conn.handlers['recoveryKey.create'] = async () => {
      throw new AgentRequestError('cooldown', 'too many', { until });
    };
    await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'x' });
    expect(core.getState().passphrase).toMatchObject({ phase: 'cooldown', cooldownUntil: until });
    expect(
      await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'y' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'cooldown' },
    });
    await clock.advance(5 * 60_000 + 1);
    expect(core.getState().passphrase.phase).toBe('idle');
  });

  it('turns a lost agent mid-escrow into a plain error', async () => {
    const { conn, core } = await setup();
    conn.handlers['recoveryKey.create'] = () => new Promise(() => {});
    void core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'x' });
    conn.close();
    expect(core.getState().passphrase).toMatchObject({
      phase: 'error',
      error: { code: 'agent_unavailable' },
    });
    expect(core.getState().connection.state).toBe('connecting');
  });

  it('rejects malformed requests without echoing them', async () => {
    const { core } = await setup();
    const long = 's3cret'.repeat(200);
    const r = await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: long });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect((await core.handleRequest('passphrase', { type: 'rm -rf' })).ok).toBe(false);
    expect((await core.handleRequest('passphrase', null)).ok).toBe(false);
  });

  it('"Not now" asks the agent for a reminder and closes the dialog', async () => {
    const { conn, core, shell, clock } = await setup();
    const remindAt = new Date(clock.now() + 3600_000).toISOString();
    conn.handlers['luks.remindLater'] = async () => ({ remindAt });
    shell.openWindow('passphrase');
    expect((await core.handleRequest('passphrase', { type: 'remindLater' })).ok).toBe(true);
    expect(shell.openWindows()).toEqual([]);
    expect(core.getState().passphrase.remindAt).toBe(remindAt);
  });
});

describe('other requests', () => {
  it('opens only the organization contact, only if it is https or mailto', async () => {
    const { conn, core, shell } = await setup();
    expect((await core.handleRequest('my-device', { type: 'openContact' })).ok).toBe(true);
    expect(shell.records.at(-1)).toEqual({ type: 'openExternal', url: 'https://help.example' });
    conn.push({
      type: 'event',
      event: 'status',
      data: status(luks, { organization: { name: 'X', contactUrl: 'javascript:alert(1)' } }),
    });
    expect((await core.handleRequest('my-device', { type: 'openContact' })).ok).toBe(false);
  });

  it('opens the log-out window only when a log-out is asked for', async () => {
    const { core } = await setup();
    expect((await core.handleRequest('my-device', { type: 'openWindow', kind: 'logout' })).ok).toBe(false);
    expect((await core.handleRequest('my-device', { type: 'openWindow', kind: 'about' })).ok).toBe(true);
  });
});

describe('agent connection', () => {
  it('reports the agent missing, retries with growing delays, and recovers', async () => {
    const conn = new FakeConnection(status(null));
    let attempts = 0;
    const shell = new RecordingShell();
    const clock = new FakeClock();
    core = new DesktopCore({
      shell,
      connect: async () => {
        attempts++;
        if (attempts < 4) throw new AgentRequestError('agent_unavailable', 'the escrow agent is not running');
        return conn;
      },
      logout: { logOut: async () => {} },
      appVersion: '1',
      platform: 'linux',
      reconnect: { initialMs: 100, maxMs: 250 },
      clock,
    });
    core.start();
    await clock.advance(0);
    expect(core.getState().connection).toEqual({
      state: 'agent_unavailable',
      message: 'the escrow agent is not running',
    });
    expect(shell.snapshot().tray?.icon).toBe('agent_unavailable');
    await clock.advance(99);
    expect(attempts).toBe(1);
    await clock.advance(1); // 100 ms
    expect(attempts).toBe(2);
    await clock.advance(200); // 200 ms
    expect(attempts).toBe(3);
    await clock.advance(250); // capped at 250 ms
    expect(attempts).toBe(4);
    expect(core.getState().connection.state).toBe('connected');
    expect(shell.snapshot().tray?.icon).toBe('escrowed');
  });
});

describe('stopping', () => {
  it('leaves no timer behind: no reminder, cool-down end or reconnect fires after stop()', async () => {
    const remindAt = new Date(FAKE_CLOCK_START + 60_000).toISOString();
    const { conn, core, clock, shell } = await setup({ action: { ...luks, remindAt } });
    const until = new Date(clock.now() + 5 * 60_000).toISOString();
    conn.handlers['recoveryKey.create'] = async () => {
      throw new AgentRequestError('cooldown', 'too many', { until });
    };
    await core.handleRequest('passphrase', { type: 'createRecoveryKey', passphrase: 'x' });
    expect(clock.pending()).toBe(2);
    core.stop();
    expect(clock.pending()).toBe(0);
    const records = shell.records.length;
    await clock.advance(10 * 60_000);
    expect(shell.records).toHaveLength(records);
  });
});
