import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Action, DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import type {
  AgentEvent,
  MethodName,
  ParamsOf,
  ResultOf,
  Welcome,
} from '../../ipc/desktop-agent/messages.js';
import { AgentRequestError } from '../../node-lib/agent-socket/client.js';
import { RecordingShell } from '../../web-harness/recording-shell.js';
import type { AgentConnection } from './agent-link.js';
import { DesktopCore } from './desktop-core.js';
import { LogoutError, type LogoutPort } from './logout-port.js';

/** An AgentConnection whose answers the test scripts; records each request and the secret as sent. */
class FakeConnection extends EventEmitter implements AgentConnection {
  readonly welcome: Welcome = {
    type: 'welcome',
    protocol: 1,
    agentVersion: '0.1.0',
    platform: 'linux',
    peer: { uid: 1000, name: 'u', mayEscrow: true },
  };
  readonly calls: { method: MethodName; params: unknown; secretAtCall?: string; secret?: Buffer }[] = [];
  handlers: Partial<Record<MethodName, (params: unknown) => Promise<unknown>>> = {};

  constructor(public status: DeviceStatus) {
    super();
    this.handlers['status.get'] = async () => this.status;
  }

  request<M extends MethodName>(method: M, params: ParamsOf<M>, secret?: Buffer): Promise<ResultOf<M>> {
    this.calls.push({ method, params, ...(secret ? { secret, secretAtCall: secret.toString('utf8') } : {}) });
    const h = this.handlers[method];
    if (!h) return Promise.reject(new AgentRequestError('unknown_method', method));
    return h(params) as Promise<ResultOf<M>>;
  }

  push(ev: AgentEvent): void {
    this.emit('event', ev);
  }

  close(): void {
    this.emit('close');
  }
}

function status(action: Action | null, over: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    agentVersion: '0.1.0',
    platform: 'linux',
    hostname: 'h',
    server: { state: 'connected', url: 'https://s', lastContactAt: null },
    volumes: [
      {
        id: 'root',
        label: 'System',
        device: '/dev/sda3',
        encryption: 'luks2',
        encrypted: true,
        escrow: { state: action ? 'action_required' : 'escrowed', escrowedAt: null, keySlot: null },
      },
    ],
    action,
    organization: { name: 'IT', contactUrl: 'https://help.example' },
    updatedAt: new Date().toISOString(),
    ...over,
  };
}

const luks: Action = {
  kind: 'luks_passphrase',
  volumeId: 'root',
  reason: 'no_key',
  cooldownUntil: null,
  remindAt: null,
};

let core: DesktopCore | null = null;

async function setup(
  opts: {
    action?: Action | null;
    hasTray?: boolean;
    logout?: LogoutPort;
    platform?: 'linux' | 'darwin';
    settleMs?: number;
  } = {},
) {
  const conn = new FakeConnection(status(opts.action === undefined ? luks : opts.action));
  const shell = new RecordingShell(opts.hasTray ?? true);
  const logout = opts.logout ?? { logOut: vi.fn(async () => {}) };
  core = new DesktopCore({
    shell,
    connect: async () => conn,
    logout,
    appVersion: '1.2.3',
    platform: opts.platform ?? 'linux',
    actionSettleMs: opts.settleMs ?? 0,
  });
  shell.attach(core);
  core.start();
  await vi.waitFor(() => expect(core?.getState().connection.state).toBe('connected'));
  return { conn, shell, core, logout };
}

afterEach(() => {
  core?.stop();
  core = null;
  vi.useRealTimers();
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
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const remindAt = new Date(Date.now() + 60_000).toISOString();
    const { shell } = await setup({ action: { ...luks, remindAt } });
    expect(shell.records.some((r) => r.type === 'notify')).toBe(false);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(shell.records.filter((r) => r.type === 'notify')).toHaveLength(1);
  });
});

describe('a request the agent withdraws at once', () => {
  it('interrupts nobody, and leaves the success screen alone', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { conn, core, shell } = await setup({ action: null, settleMs: 300 });
    conn.handlers['recoveryKey.create'] = async () => ({
      outcome: 'escrowed',
      keySlot: 0,
      escrowedAt: new Date().toISOString(),
    });
    await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'x' });
    // Seen with the real agent: right after an escrow, a stale server poll re-asks for 15 ms.
    conn.push({ type: 'event', event: 'status', data: status({ ...luks, reason: 'rotation_requested' }) });
    await vi.advanceTimersByTimeAsync(15);
    conn.push({ type: 'event', event: 'status', data: status(null) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(shell.records.filter((r) => r.type === 'notify')).toEqual([]);
    expect(core.getState().passphrase.phase).toBe('success');
  });

  it('still announces a request that stays', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { shell } = await setup({ settleMs: 300 });
    expect(shell.records.filter((r) => r.type === 'notify')).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(shell.records.filter((r) => r.type === 'notify')).toHaveLength(1);
  });
});

describe('passphrase submission', () => {
  it('sends the passphrase as a secret Buffer and wipes it right after', async () => {
    const { conn, core } = await setup();
    conn.handlers['recoveryKey.create'] = async () => ({
      outcome: 'escrowed',
      keySlot: 2,
      escrowedAt: new Date().toISOString(),
    });
    const r = await core.handleRequest('passphrase', {
      type: 'submitPassphrase',
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
    const first = core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'a' });
    const second = await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'b' });
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
    await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'x' });
    expect(core.getState().passphrase).toMatchObject({
      phase: 'error',
      error: { code: 'wrong_passphrase', attemptsLeft: 2 },
    });
  });

  it('holds a cool-down until its time, then allows input again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { conn, core } = await setup();
    const until = new Date(Date.now() + 5 * 60_000).toISOString();
    conn.handlers['recoveryKey.create'] = async () => {
      throw new AgentRequestError('cooldown', 'too many', { until });
    };
    await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'x' });
    expect(core.getState().passphrase).toMatchObject({ phase: 'cooldown', cooldownUntil: until });
    expect(
      await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'y' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'cooldown' },
    });
    await vi.advanceTimersByTimeAsync(5 * 60_000 + 1);
    expect(core.getState().passphrase.phase).toBe('idle');
  });

  it('turns a lost agent mid-escrow into a plain error', async () => {
    const { conn, core } = await setup();
    conn.handlers['recoveryKey.create'] = () => new Promise(() => {});
    void core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: 'x' });
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
    const r = await core.handleRequest('passphrase', { type: 'submitPassphrase', passphrase: long });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect((await core.handleRequest('passphrase', { type: 'rm -rf' })).ok).toBe(false);
    expect((await core.handleRequest('passphrase', null)).ok).toBe(false);
  });

  it('"Not now" asks the agent for a reminder and closes the dialog', async () => {
    const { conn, core, shell } = await setup();
    const remindAt = new Date(Date.now() + 3600_000).toISOString();
    conn.handlers['luks.remindLater'] = async () => ({ remindAt });
    shell.openWindow('passphrase');
    expect((await core.handleRequest('passphrase', { type: 'remindLater' })).ok).toBe(true);
    expect(shell.openWindows()).toEqual([]);
    expect(core.getState().passphrase.remindAt).toBe(remindAt);
  });
});

describe('macOS log-out', () => {
  const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

  it('waits for the next prompt time, then opens the prompt', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { shell } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: inHours(24), deferralsLeft: 2, nextPromptAt: inHours(1) },
    });
    expect(shell.openWindows()).toEqual([]);
    await vi.advanceTimersByTimeAsync(3600_000 + 1);
    expect(shell.snapshot().windows).toEqual([{ kind: 'logout', mustAct: false }]);
  });

  it('after the deadline keeps the prompt in front and reopens it if the OS closes it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { shell, core } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: inHours(1), deferralsLeft: 0, nextPromptAt: null },
    });
    expect(shell.snapshot().windows).toEqual([{ kind: 'logout', mustAct: false }]);
    await vi.advanceTimersByTimeAsync(3600_000 + 1);
    expect(shell.snapshot().windows).toEqual([{ kind: 'logout', mustAct: true }]);
    expect(core.getState().logout).toMatchObject({ overdue: true, canDefer: false });
    core.onWindowClosed('logout'); // e.g. the window server killed it
    expect(shell.records.at(-1)).toEqual({ type: 'openWindow', kind: 'logout', mustAct: true });
  });

  it('defers through the agent and never logs out without the click', async () => {
    const { conn, core, shell, logout } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: inHours(24), deferralsLeft: 1, nextPromptAt: null },
    });
    conn.handlers['logout.defer'] = async () => ({
      deferralsLeft: 0,
      nextPromptAt: inHours(4),
      deadline: inHours(24),
    });
    expect(shell.openWindows()).toEqual(['logout']);
    expect((await core.handleRequest('logout', { type: 'deferLogout' })).ok).toBe(true);
    expect(shell.openWindows()).toEqual([]);
    expect(core.getState().logout).toMatchObject({ deferralsLeft: 0, canDefer: false });
    expect((await core.handleRequest('logout', { type: 'deferLogout' })).ok).toBe(false);
    expect(logout.logOut).not.toHaveBeenCalled();
    expect((await core.handleRequest('logout', { type: 'logOutNow' })).ok).toBe(true);
    expect(logout.logOut).toHaveBeenCalledOnce();
  });

  it('reports a refused Automation permission in the state', async () => {
    const logout = {
      logOut: vi.fn(async () => {
        throw new LogoutError('automation_denied', 'not allowed');
      }),
    };
    const { core } = await setup({
      platform: 'darwin',
      logout,
      action: { kind: 'macos_logout', deadline: null, deferralsLeft: 3, nextPromptAt: null },
    });
    const r = await core.handleRequest('logout', { type: 'logOutNow' });
    expect(r).toMatchObject({ ok: false, error: { code: 'automation_denied' } });
    expect(core.getState().logout).toMatchObject({ phase: 'error', error: { code: 'automation_denied' } });
  });

  it('closes the prompt when the agent no longer asks', async () => {
    const { conn, shell } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: null, deferralsLeft: 3, nextPromptAt: null },
    });
    expect(shell.openWindows()).toEqual(['logout']);
    conn.push({ type: 'event', event: 'status', data: status(null) });
    expect(shell.openWindows()).toEqual([]);
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
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  it('reports the agent missing, retries with growing delays, and recovers', async () => {
    const conn = new FakeConnection(status(null));
    let attempts = 0;
    const shell = new RecordingShell();
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
    });
    core.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(core.getState().connection).toEqual({
      state: 'agent_unavailable',
      message: 'the escrow agent is not running',
    });
    expect(shell.snapshot().tray?.icon).toBe('agent_unavailable');
    await vi.advanceTimersByTimeAsync(99);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 100 ms
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(200); // 200 ms
    expect(attempts).toBe(3);
    await vi.advanceTimersByTimeAsync(250); // capped at 250 ms
    expect(attempts).toBe(4);
    expect(core.getState().connection.state).toBe('connected');
    expect(shell.snapshot().tray?.icon).toBe('escrowed');
  });
});
