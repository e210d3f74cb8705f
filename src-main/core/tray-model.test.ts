import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import { trayModelFor } from './tray-model.js';

const baseStatus: DeviceStatus = {
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
      escrow: { state: 'escrowed', escrowedAt: '2026-01-01T00:00:00Z', keySlot: 1 },
    },
  ],
  action: null,
  organization: null,
  updatedAt: '2026-01-01T00:00:00Z',
};

function state(over: Partial<UiState> = {}, status: Partial<DeviceStatus> = {}): UiState {
  return {
    app: { version: '1.2.3', platform: 'linux' },
    connection: { state: 'connected', message: null },
    status: { ...baseStatus, ...status },
    passphrase: { phase: 'idle', step: null, error: null, cooldownUntil: null, result: null, remindAt: null },
    logout: null,
    newPassphrase: { phase: 'idle', step: null, error: null, result: null },
    link: { phase: 'idle', error: null, expiresAt: null },
    ...over,
  };
}

const commands = (s: UiState) =>
  trayModelFor(s).menu.flatMap((m) => (m.kind === 'command' ? [m.command] : []));
const luks = {
  kind: 'luks_passphrase',
  volumeId: 'root',
  reason: 'no_key',
  cooldownUntil: null,
  remindAt: null,
} as const;

describe('tray model', () => {
  it('says escrowed with the plain menu and the version', () => {
    const m = trayModelFor(state());
    expect(m.icon).toBe('escrowed');
    expect(m.tooltip).toBe('Escrow Desktop — Your recovery key is secured');
    expect(m.menu[0]).toEqual({ kind: 'status', label: 'Your recovery key is secured' });
    expect(m.menu.at(-1)).toEqual({ kind: 'version', label: 'Version 1.2.3' });
    expect(commands(state())).toEqual(['forgot-passphrase', 'my-device', 'about']);
    expect(commands(state({ app: { version: '1', platform: 'darwin' } }))).toEqual(['my-device', 'about']);
  });

  it('asks for a new disk passphrase after the recovery key was used, and offers it from the menu', () => {
    const reset = {
      kind: 'luks_new_passphrase',
      volumeId: 'root',
      reason: 'recovery_key_used',
      usedAt: '2026-01-01T00:00:00Z',
      cooldownUntil: null,
    } as const;
    const s = state({}, { action: reset });
    expect(trayModelFor(s).menu[0]).toEqual({
      kind: 'status',
      label: 'Action needed: set a new disk passphrase',
    });
    expect(commands(s)).toContain('forgot-passphrase');
    // Without an escrowed key of ours there is no recovery key to use: no menu item.
    const none = state({}, { volumes: [] });
    expect(commands(none)).not.toContain('forgot-passphrase');
  });

  it('offers "Create recovery key…" on Linux when the agent asks for a passphrase', () => {
    const s = state({}, { action: luks });
    expect(trayModelFor(s).icon).toBe('action_needed');
    expect(commands(s)).toEqual(['create-recovery-key', 'forgot-passphrase', 'my-device', 'about']);
    expect(commands(state({ app: { version: '1', platform: 'darwin' } }, { action: luks }))).not.toContain(
      'create-recovery-key',
    );
  });

  it('during a cool-down says when to try again, in the status line and on the menu item', () => {
    const until = new Date(Date.now() + 5 * 60_000).toISOString();
    const time = new Date(until).toLocaleTimeString(undefined, { timeStyle: 'short' });
    const s = state(
      { passphrase: { ...state().passphrase, phase: 'cooldown', cooldownUntil: until } },
      { action: luks },
    );
    const m = trayModelFor(s);
    expect(m.icon).toBe('action_needed');
    expect(m.menu[0]).toEqual({ kind: 'status', label: `Too many attempts: you can try again at ${time}` });
    const item = m.menu.find((i) => i.kind === 'command' && i.command === 'create-recovery-key');
    expect(item).toMatchObject({ label: `Create recovery key (try again at ${time})…` });
    expect(JSON.stringify(m)).not.toContain('about a minute');
    // Once the core ends the cool-down, the plain item is back.
    expect(trayModelFor(state({}, { action: luks })).menu[2]).toMatchObject({
      label: 'Create recovery key…',
    });
  });

  it('offers the log-out item for a macOS log-out action', () => {
    const s = state(
      { app: { version: '1', platform: 'darwin' } },
      { action: { kind: 'macos_logout', deadline: null, deferralsLeft: 3, nextPromptAt: null } },
    );
    expect(trayModelFor(s).menu[0]).toEqual({
      kind: 'status',
      label: 'Log out to finish securing your disk',
    });
    expect(commands(s)).toEqual(['log-out', 'my-device', 'about']);
  });

  it('shows working while an escrow runs, even with the action still pending', () => {
    const s = state({ passphrase: { ...state().passphrase, phase: 'submitting' } }, { action: luks });
    expect(trayModelFor(s).icon).toBe('working');
    const uploading = state(
      {},
      {
        volumes: [
          { ...baseStatus.volumes[0], escrow: { state: 'uploading', escrowedAt: null, keySlot: 1 } },
        ] as DeviceStatus['volumes'],
      },
    );
    expect(trayModelFor(uploading).icon).toBe('working');
  });

  it('puts the agent first: without it nothing else is known', () => {
    const s = state({ connection: { state: 'agent_unavailable', message: 'x' } }, { action: luks });
    expect(trayModelFor(s).icon).toBe('agent_unavailable');
    expect(commands(s)).toEqual(['my-device', 'about']);
    expect(trayModelFor(state({ connection: { state: 'connecting', message: null } })).icon).toBe('working');
  });

  it('tells a server problem apart, below an action the user can take', () => {
    const unreachable = { state: 'unreachable', url: 'https://s', lastContactAt: null } as const;
    expect(trayModelFor(state({}, { server: unreachable })).icon).toBe('server_unreachable');
    expect(trayModelFor(state({}, { server: unreachable, action: luks })).icon).toBe('action_needed');
  });

  it('calls a failed volume action needed', () => {
    const failed = state(
      {},
      {
        volumes: [
          { ...baseStatus.volumes[0], escrow: { state: 'failed', escrowedAt: null, keySlot: null } },
        ] as DeviceStatus['volumes'],
      },
    );
    expect(trayModelFor(failed)).toMatchObject({
      icon: 'action_needed',
      tooltip: 'Escrow Desktop — Your recovery key is not secured yet',
    });
  });

  it('a queued key while the server asked us to slow down (429): says so, not "cannot reach"', () => {
    const slowed = state(
      {},
      {
        server: {
          state: 'connected',
          url: 'https://s',
          lastContactAt: null,
          slowDown: { retryAt: '2026-01-01T00:05:00Z' },
        },
        volumes: [
          { ...baseStatus.volumes[0], escrow: { state: 'uploading', escrowedAt: null, keySlot: 1 } },
        ] as DeviceStatus['volumes'],
      },
    );
    expect(trayModelFor(slowed)).toMatchObject({
      icon: 'working',
      tooltip:
        'Escrow Desktop — Your organization’s server asked us to wait; your key is safe and will be sent',
    });
  });
});
