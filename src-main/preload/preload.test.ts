import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Channels } from '../../ipc/window-bridge/channels.js';
import type { EscrowApi } from '../../ipc/window-bridge/contract.js';

// The preload against a fake electron: what it exposes, under which name, and what each call sends.
const exposed = vi.hoisted(() => ({ name: '', api: null as unknown }));
const ipc = vi.hoisted(() => ({
  invoke: vi.fn(async (_channel: string, _body: unknown) => ({ ok: true, state: { initial: true } })),
  listeners: new Map<string, (event: unknown, state: unknown) => void>(),
}));
vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (name: string, api: unknown) => {
      exposed.name = name;
      exposed.api = api;
    },
  },
  ipcRenderer: {
    invoke: ipc.invoke,
    on: (channel: string, l: (e: unknown, s: unknown) => void) => ipc.listeners.set(channel, l),
    removeListener: (channel: string) => ipc.listeners.delete(channel),
  },
}));

let api: EscrowApi;
let callsAtLoad: unknown[][] = [];
beforeAll(async () => {
  await import('./preload.js');
  api = exposed.api as EscrowApi;
  callsAtLoad = [...ipc.invoke.mock.calls];
});

describe('preload', () => {
  it('exposes exactly the escrow API, as window.escrow', () => {
    expect(exposed.name).toBe('escrow');
    expect(Object.keys(api).sort()).toEqual(
      [
        'close',
        'deferLogout',
        'getState',
        'logOutNow',
        'openContact',
        'openWindow',
        'remindLater',
        'createRecoveryKey',
        'setNewPassphrase',
        'linkComputer',
        'subscribe',
      ].sort(),
    );
  });

  it('asks for the state as soon as it loads, and replays it to a late subscriber', async () => {
    expect(callsAtLoad).toEqual([[Channels.invoke, { type: 'getState' }]]);
    const seen: unknown[] = [];
    const stop = api.subscribe((s) => seen.push(s));
    await Promise.resolve();
    expect(seen).toEqual([{ initial: true }]);
    stop();
  });

  it('sends each call as one typed request on the invoke channel', async () => {
    ipc.invoke.mockClear();
    await api.createRecoveryKey('pw');
    await api.openWindow('about');
    await api.logOutNow();
    expect(ipc.invoke.mock.calls).toEqual([
      [Channels.invoke, { type: 'createRecoveryKey', passphrase: 'pw' }],
      [Channels.invoke, { type: 'openWindow', kind: 'about' }],
      [Channels.invoke, { type: 'logOutNow' }],
    ]);
  });

  it('delivers pushed state without the IPC event, and stops on unsubscribe', () => {
    const seen: unknown[] = [];
    const stop = api.subscribe((s) => seen.push(s));
    ipc.listeners.get(Channels.state)?.({ sender: 'hidden' }, { some: 'state' });
    expect(seen).toEqual([{ some: 'state' }]);
    stop();
    ipc.listeners.get(Channels.state)?.({ sender: 'hidden' }, { more: 'state' });
    expect(seen).toEqual([{ some: 'state' }]);
  });
});
