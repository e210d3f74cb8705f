import { describe, expect, it } from 'vitest';
import type { Action } from '../../ipc/desktop-agent/device-status.js';
import type { LogoutFlow } from '../../ipc/window-bridge/contract.js';
import { type LogoutState, logoutErrorOf, logoutFlow } from './logout-flow.js';
import { LogoutError } from './logout-port.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const MIN = 60_000;

const ask = (over: Partial<Extract<Action, { kind: 'macos_logout' }>> = {}): Action => ({
  kind: 'macos_logout',
  deadline: at(600),
  deferralsLeft: 2,
  nextPromptAt: null,
  ...over,
});

/** The state the flow derives from `action` at T0, with `over` on top. */
function shown(action: Action, over: Partial<LogoutFlow> = {}): LogoutFlow {
  const state = logoutFlow(null, { type: 'action', action, now: T0 }).state as LogoutFlow;
  return { ...state, ...over };
}

describe('log-out flow: the agent’s request', () => {
  it('shows the server’s deadline and deferrals, and whether the user may defer', () => {
    expect(logoutFlow(null, { type: 'action', action: ask(), now: T0 })).toEqual({
      state: {
        deadline: at(600),
        deferralsLeft: 2,
        nextPromptAt: null,
        overdue: false,
        canDefer: true,
        phase: 'idle',
        error: null,
      },
      effects: [],
    });
    expect(shown(ask({ deferralsLeft: 0 })).canDefer).toBe(false);
    const late = logoutFlow(null, { type: 'action', action: ask(), now: T0 + 600 * MIN }).state;
    expect(late).toMatchObject({ overdue: true, canDefer: false });
  });

  it('keeps what the user is doing (logging out, an error) across a refresh', () => {
    const error = { code: 'automation_denied', message: 'no' } as const;
    const before = shown(ask(), { phase: 'error', error });
    const after = logoutFlow(before, { type: 'action', action: ask({ deferralsLeft: 1 }), now: T0 }).state;
    expect(after).toMatchObject({ phase: 'error', error, deferralsLeft: 1 });
  });

  it('closes the prompt and stops rechecking once nothing is asked any more', () => {
    expect(logoutFlow(shown(ask()), { type: 'action', action: null, now: T0 })).toEqual({
      state: null,
      effects: [{ type: 'recheck_at', at: null }, { type: 'close_window' }],
    });
    expect(logoutFlow(null, { type: 'action', action: null, now: T0 }).effects).toEqual([
      { type: 'recheck_at', at: null },
    ]);
  });

  it('has no prompt for another kind of request', () => {
    const luks: Action = {
      kind: 'luks_passphrase',
      volumeId: 'v',
      reason: 'no_key',
      cooldownUntil: null,
      remindAt: null,
    };
    expect(logoutFlow(shown(ask()), { type: 'action', action: luks, now: T0 })).toEqual({
      state: null,
      effects: [],
    });
  });
});

describe('log-out flow: prompting', () => {
  it('the first time: notifies, opens the prompt, and rechecks at the deadline', () => {
    const state = shown(ask());
    expect(logoutFlow(state, { type: 'prompt', now: T0 })).toEqual({
      state,
      effects: [
        { type: 'recheck_at', at: T0 + 600 * MIN },
        { type: 'notify', key: 'logout::false', overdue: false },
        { type: 'open_window', mustAct: false },
      ],
    });
  });

  it('after a deferral: waits quietly for the next prompt time', () => {
    const state = shown(ask({ nextPromptAt: at(240) }));
    expect(logoutFlow(state, { type: 'prompt', now: T0 }).effects).toEqual([
      { type: 'recheck_at', at: T0 + 240 * MIN },
    ]);
    expect(logoutFlow(state, { type: 'prompt', now: T0 + 240 * MIN }).effects).toContainEqual({
      type: 'notify',
      key: `logout:${at(240)}:false`,
      overdue: false,
    });
  });

  it('past the deadline: a notice of its own, and a prompt that must be answered', () => {
    const state = logoutFlow(null, { type: 'action', action: ask(), now: T0 + 600 * MIN }).state;
    expect(logoutFlow(state, { type: 'prompt', now: T0 + 600 * MIN }).effects).toEqual([
      { type: 'recheck_at', at: null },
      { type: 'notify', key: 'logout::true', overdue: true },
      { type: 'open_window', mustAct: true },
    ]);
  });

  it('does nothing without a request', () => {
    expect(logoutFlow(null, { type: 'prompt', now: T0 })).toEqual({ state: null, effects: [] });
  });
});

describe('log-out flow: the window', () => {
  const overdue = shown(ask(), { overdue: true, canDefer: false });

  it('opens only while a log-out is asked for', () => {
    expect(logoutFlow(shown(ask()), { type: 'open_requested' }).effects).toEqual([
      { type: 'open_window', mustAct: false },
    ]);
    expect(logoutFlow(overdue, { type: 'open_requested' }).effects).toEqual([
      { type: 'open_window', mustAct: true },
    ]);
    expect(logoutFlow(null, { type: 'open_requested' }).effects).toEqual([
      { type: 'refuse', error: { code: 'not_allowed_now', message: expect.any(String) } },
    ]);
  });

  it('may be closed before the deadline, not after', () => {
    expect(logoutFlow(shown(ask()), { type: 'close_requested' }).effects).toEqual([{ type: 'close_window' }]);
    expect(logoutFlow(null, { type: 'close_requested' }).effects).toEqual([{ type: 'close_window' }]);
    expect(logoutFlow(overdue, { type: 'close_requested' }).effects).toEqual([
      { type: 'refuse', error: { code: 'not_allowed_now', message: expect.any(String) } },
    ]);
  });

  it('comes straight back when closed past the deadline, unless the log-out is under way', () => {
    expect(logoutFlow(overdue, { type: 'window_closed' }).effects).toEqual([
      { type: 'open_window', mustAct: true },
    ]);
    const leaving: LogoutState = { ...overdue, phase: 'logging_out' };
    expect(logoutFlow(leaving, { type: 'window_closed' }).effects).toEqual([]);
    expect(logoutFlow(shown(ask()), { type: 'window_closed' }).effects).toEqual([]);
  });
});

describe('log-out flow: the user’s answers', () => {
  it('defers only while deferrals are left and the deadline has not passed, then closes the prompt', () => {
    expect(logoutFlow(shown(ask()), { type: 'defer_requested' }).effects).toEqual([{ type: 'defer' }]);
    for (const state of [
      shown(ask({ deferralsLeft: 0 })),
      shown(ask(), { overdue: true, canDefer: false }),
      null,
    ]) {
      expect(logoutFlow(state, { type: 'defer_requested' }).effects).toEqual([
        { type: 'refuse', error: { code: 'not_allowed_now', message: expect.any(String) } },
      ]);
    }
    expect(logoutFlow(shown(ask()), { type: 'deferred' }).effects).toEqual([{ type: 'close_window' }]);
  });

  it('logs out only on the click, and shows why it did not work', () => {
    const state = shown(ask(), { phase: 'error', error: { code: 'logout_failed', message: 'x' } });
    const step = logoutFlow(state, { type: 'log_out_requested' });
    expect(step).toEqual({
      state: { ...state, phase: 'logging_out', error: null },
      effects: [{ type: 'log_out' }],
    });
    const error = { code: 'automation_denied', message: 'not allowed' } as const;
    expect(logoutFlow(step.state, { type: 'log_out_failed', error }).state).toMatchObject({
      phase: 'error',
      error,
    });
    expect(logoutFlow(null, { type: 'log_out_requested' }).effects).toEqual([
      { type: 'refuse', error: { code: 'not_allowed_now', message: expect.any(String) } },
    ]);
    expect(logoutFlow(null, { type: 'log_out_failed', error })).toEqual({ state: null, effects: [] });
  });

  it('tells the user the port’s own reason, or a general instruction', () => {
    expect(logoutErrorOf(new LogoutError('automation_denied', 'not allowed'))).toEqual({
      code: 'automation_denied',
      message: 'not allowed',
    });
    expect(logoutErrorOf(new Error('osascript crashed'))).toMatchObject({ code: 'logout_failed' });
  });
});
