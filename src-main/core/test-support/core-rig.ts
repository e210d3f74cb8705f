import { EventEmitter } from 'node:events';
import { expect, vi } from 'vitest';
import type { Action, DeviceStatus } from '../../../ipc/desktop-agent/device-status.js';
import type {
  AgentEvent,
  MethodName,
  ParamsOf,
  ResultOf,
  Welcome,
} from '../../../ipc/desktop-agent/messages.js';
import { AgentRequestError } from '../../../node-lib/agent-socket/client.js';
import { RecordingShell } from '../../../web-harness/recording-shell.js';
import type { AgentConnection } from '../agent-link.js';
import { DesktopCore } from '../desktop-core.js';
import type { LogoutPort } from '../logout-port.js';
import { FAKE_CLOCK_START, FakeClock } from './fake-clock.js';

/** An AgentConnection whose answers the test scripts; records each request and the secret as sent. */
export class FakeConnection extends EventEmitter implements AgentConnection {
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

export function status(action: Action | null, over: Partial<DeviceStatus> = {}): DeviceStatus {
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
    updatedAt: new Date(FAKE_CLOCK_START).toISOString(),
    ...over,
  };
}

export const luks: Extract<Action, { kind: 'luks_passphrase' }> = {
  kind: 'luks_passphrase',
  volumeId: 'root',
  reason: 'no_key',
  cooldownUntil: null,
  remindAt: null,
};

/** `hours` from the fake clock's start, as the agent writes times. */
export const inHours = (hours: number) => new Date(FAKE_CLOCK_START + hours * 3600_000).toISOString();

export interface CoreRigOptions {
  action?: Action | null;
  hasTray?: boolean;
  logout?: LogoutPort;
  platform?: 'linux' | 'darwin';
  settleMs?: number;
}

/**
 * The real DesktopCore on a fake clock, a recording shell and a scripted agent connection, connected and
 * with the agent's first status applied. The caller stops `core` (the tests do it in afterEach).
 */
export async function startCore(opts: CoreRigOptions = {}) {
  const conn = new FakeConnection(status(opts.action === undefined ? luks : opts.action));
  const shell = new RecordingShell(opts.hasTray ?? true);
  const logout = opts.logout ?? { logOut: vi.fn(async () => {}) };
  const clock = new FakeClock();
  const core = new DesktopCore({
    shell,
    connect: async () => conn,
    logout,
    appVersion: '1.2.3',
    platform: opts.platform ?? 'linux',
    actionSettleMs: opts.settleMs ?? 0,
    clock,
  });
  shell.attach(core);
  core.start();
  await vi.waitFor(() => expect(core.getState().connection.state).toBe('connected'));
  return { conn, shell, core, logout, clock };
}
