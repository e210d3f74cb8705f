import { describe, expect, it } from 'vitest';
import { logoutPlan } from './logout-plan.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('logout plan', () => {
  it('prompts at once the first time, and rechecks at the deadline', () => {
    expect(
      logoutPlan({ kind: 'macos_logout', deadline: at(60), deferralsLeft: 3, nextPromptAt: null }, T0),
    ).toEqual({
      overdue: false,
      canDefer: true,
      promptNow: true,
      recheckAt: T0 + 60 * 60_000,
    });
  });

  it('after a deferral waits for the next prompt time, whichever comes first', () => {
    const plan = logoutPlan(
      { kind: 'macos_logout', deadline: at(600), deferralsLeft: 2, nextPromptAt: at(240) },
      T0,
    );
    expect(plan).toEqual({ overdue: false, canDefer: true, promptNow: false, recheckAt: T0 + 240 * 60_000 });
    expect(
      logoutPlan(
        { kind: 'macos_logout', deadline: at(600), deferralsLeft: 2, nextPromptAt: at(240) },
        T0 + 240 * 60_000,
      ).promptNow,
    ).toBe(true);
  });

  it('allows no deferral when none are left', () => {
    expect(
      logoutPlan({ kind: 'macos_logout', deadline: at(60), deferralsLeft: 0, nextPromptAt: null }, T0)
        .canDefer,
    ).toBe(false);
  });

  it('is overdue at the deadline: prompt now, no deferral even with some left, nothing more to schedule', () => {
    expect(
      logoutPlan({ kind: 'macos_logout', deadline: at(0), deferralsLeft: 2, nextPromptAt: at(30) }, T0),
    ).toEqual({
      overdue: true,
      canDefer: false,
      promptNow: true,
      recheckAt: T0 + 30 * 60_000,
    });
    expect(
      logoutPlan({ kind: 'macos_logout', deadline: at(-5), deferralsLeft: 2, nextPromptAt: null }, T0)
        .recheckAt,
    ).toBeNull();
  });

  it('without a deadline never becomes overdue', () => {
    expect(
      logoutPlan({ kind: 'macos_logout', deadline: null, deferralsLeft: 0, nextPromptAt: null }, T0),
    ).toMatchObject({
      overdue: false,
      promptNow: true,
      recheckAt: null,
    });
  });
});
