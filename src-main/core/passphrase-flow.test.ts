import { describe, expect, it } from 'vitest';
import type { Action } from '../../ipc/desktop-agent/device-status.js';
import type { PassphraseFlow } from '../../ipc/window-bridge/contract.js';
import { IDLE_PASSPHRASE, passphraseFlow } from './passphrase-flow.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const luks: Action = {
  kind: 'luks_passphrase',
  volumeId: 'root',
  reason: 'no_key',
  cooldownUntil: null,
  remindAt: null,
};
const flow = (over: Partial<PassphraseFlow>): PassphraseFlow => ({ ...IDLE_PASSPHRASE, ...over });
const submitting = flow({ phase: 'submitting', step: 'checking_passphrase' });
const queued = { outcome: 'queued', keySlot: 1, escrowedAt: null } as const;

describe('passphrase flow: create recovery key', () => {
  it('sends the passphrase for the volume the agent asked about, and shows the first step', () => {
    const stale = flow({
      phase: 'error',
      error: { code: 'wrong_passphrase', message: 'no' },
      remindAt: at(5),
    });
    expect(passphraseFlow(stale, { type: 'create_requested', now: T0, action: luks })).toEqual({
      state: { ...stale, phase: 'submitting', step: 'checking_passphrase', error: null, result: null },
      effects: [{ type: 'create_recovery_key', volumeId: 'root' }],
    });
  });

  it('leaves the volume to the agent when it asked about none', () => {
    const step = passphraseFlow(IDLE_PASSPHRASE, { type: 'create_requested', now: T0, action: null });
    expect(step.effects).toEqual([{ type: 'create_recovery_key', volumeId: null }]);
  });

  it('refuses a second request while one runs, changing nothing', () => {
    const step = passphraseFlow(submitting, { type: 'create_requested', now: T0, action: luks });
    expect(step.state).toBe(submitting);
    expect(step.effects).toEqual([{ type: 'refuse', error: { code: 'busy', message: expect.any(String) } }]);
  });

  it('refuses during a cool-down with its end time and the agent’s words, and not after it', () => {
    const error = { code: 'cooldown', message: 'Too many attempts.', until: at(5) } as const;
    const cooling = flow({ phase: 'cooldown', error, cooldownUntil: at(5) });
    expect(passphraseFlow(cooling, { type: 'create_requested', now: T0, action: luks }).effects).toEqual([
      { type: 'refuse', error: { code: 'cooldown', message: 'Too many attempts.', until: at(5) } },
    ]);
    const later = passphraseFlow(cooling, { type: 'create_requested', now: T0 + 5 * 60_000, action: luks });
    expect(later.effects).toEqual([{ type: 'create_recovery_key', volumeId: 'root' }]);
  });
});

describe('passphrase flow: what the agent answers', () => {
  it('shows the steps only while a request runs', () => {
    expect(passphraseFlow(submitting, { type: 'progress', step: 'uploading' }).state).toEqual({
      ...submitting,
      step: 'uploading',
    });
    const idle = passphraseFlow(IDLE_PASSPHRASE, { type: 'progress', step: 'uploading' });
    expect(idle).toEqual({ state: IDLE_PASSPHRASE, effects: [] });
  });

  it('shows success with the result, forgetting an earlier reminder', () => {
    const running = { ...submitting, remindAt: at(60) };
    expect(passphraseFlow(running, { type: 'created', result: queued })).toEqual({
      state: flow({ phase: 'success', result: queued }),
      effects: [],
    });
  });

  it('shows an error with its details', () => {
    const error = { code: 'wrong_passphrase', message: 'did not unlock', attemptsLeft: 2 } as const;
    expect(passphraseFlow(submitting, { type: 'failed', error }).state).toEqual(
      flow({ phase: 'error', error }),
    );
  });

  it('turns a cool-down answer into a cool-down that ends by itself at its time', () => {
    const error = { code: 'cooldown', message: 'too many', until: at(10) } as const;
    expect(passphraseFlow(submitting, { type: 'failed', error })).toEqual({
      state: flow({ phase: 'cooldown', error, cooldownUntil: at(10) }),
      effects: [{ type: 'cooldown_timer', at: T0 + 10 * 60_000 }],
    });
    const cooling = flow({ phase: 'cooldown', error, cooldownUntil: at(10) });
    expect(passphraseFlow(cooling, { type: 'cooldown_over' }).state).toEqual(IDLE_PASSPHRASE);
    // The timer may outlive the cool-down (a success in between): then it changes nothing.
    const done = flow({ phase: 'success', result: queued });
    expect(passphraseFlow(done, { type: 'cooldown_over' }).state).toBe(done);
  });

  it('turns a lost agent mid-request into a plain error, and ignores it otherwise', () => {
    expect(passphraseFlow(submitting, { type: 'agent_lost' }).state).toMatchObject({
      phase: 'error',
      step: null,
      error: { code: 'agent_unavailable' },
    });
    const done = flow({ phase: 'success', result: queued });
    expect(passphraseFlow(done, { type: 'agent_lost' }).state).toBe(done);
  });

  it('says so on the success screen when a queued key reaches the server later', () => {
    const done = flow({ phase: 'success', result: queued });
    expect(passphraseFlow(done, { type: 'uploaded_later', now: T0 }).state.result).toEqual({
      outcome: 'escrowed',
      keySlot: 1,
      escrowedAt: at(0),
    });
    const escrowed = flow({
      phase: 'success',
      result: { ...queued, outcome: 'escrowed', escrowedAt: at(-1) },
    });
    expect(passphraseFlow(escrowed, { type: 'uploaded_later', now: T0 }).state).toBe(escrowed);
    expect(passphraseFlow(submitting, { type: 'uploaded_later', now: T0 }).state).toBe(submitting);
  });
});

describe('passphrase flow: opening the dialog', () => {
  it('greets a fresh attempt with an empty dialog, keeping the reminder', () => {
    const old = flow({ phase: 'success', result: queued, remindAt: at(30) });
    expect(passphraseFlow(old, { type: 'opening', now: T0, action: luks })).toEqual({
      state: flow({ remindAt: at(30) }),
      effects: [],
    });
    expect(passphraseFlow(IDLE_PASSPHRASE, { type: 'opening', now: T0, action: luks }).state).toBe(
      IDLE_PASSPHRASE,
    );
  });

  it('shows a cool-down the agent still enforces, until its end', () => {
    const action = { ...luks, cooldownUntil: at(3) };
    expect(passphraseFlow(flow({ remindAt: at(30) }), { type: 'opening', now: T0, action })).toEqual({
      state: flow({ phase: 'cooldown', cooldownUntil: at(3), remindAt: at(30) }),
      effects: [{ type: 'cooldown_timer', at: T0 + 3 * 60_000 }],
    });
    const over = passphraseFlow(IDLE_PASSPHRASE, { type: 'opening', now: T0 + 3 * 60_000, action });
    expect(over).toEqual({ state: IDLE_PASSPHRASE, effects: [] });
  });

  it('leaves a running request and a running cool-down as they are', () => {
    const cooling = flow({ phase: 'cooldown', cooldownUntil: at(3) });
    for (const state of [submitting, cooling]) {
      expect(passphraseFlow(state, { type: 'opening', now: T0, action: luks })).toEqual({
        state,
        effects: [],
      });
    }
  });

  it('remembers when the agent will remind the user', () => {
    expect(passphraseFlow(IDLE_PASSPHRASE, { type: 'reminder_set', remindAt: at(60) }).state).toEqual(
      flow({ remindAt: at(60) }),
    );
  });
});
