import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DesktopCore } from './desktop-core.js';
import { LogoutError } from './logout-port.js';
import { inHours, startCore, status } from './test-support/core-rig.js';

// The macOS log-out prompt through the real core, a recording shell, a scripted agent and a fake clock;
// the flow's decisions alone are in logout-flow.test.ts.

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

describe('macOS log-out', () => {
  it('waits for the next prompt time, then opens the prompt', async () => {
    const { shell, clock } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: inHours(24), deferralsLeft: 2, nextPromptAt: inHours(1) },
    });
    expect(shell.openWindows()).toEqual([]);
    await clock.advance(3600_000 + 1);
    expect(shell.snapshot().windows).toEqual([{ kind: 'logout', mustAct: false }]);
  });

  it('after the deadline keeps the prompt in front and reopens it if the OS closes it', async () => {
    const { shell, core, clock } = await setup({
      platform: 'darwin',
      action: { kind: 'macos_logout', deadline: inHours(1), deferralsLeft: 0, nextPromptAt: null },
    });
    expect(shell.snapshot().windows).toEqual([{ kind: 'logout', mustAct: false }]);
    await clock.advance(3600_000 + 1);
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
