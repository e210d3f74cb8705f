import type { Action } from '../../ipc/desktop-agent/device-status.js';
import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import type { PassphraseFlow, UiError } from '../../ipc/window-bridge/contract.js';
import { mainStrings as s } from './strings.js';

/**
 * The passphrase dialog's flow as a pure function: what the dialog shows after each thing that happens
 * (the user's "Create recovery key", the agent's progress and answer, a lost agent, time passing), and
 * what the core must do about it. Time comes in with the events, so the function reads no clock.
 */

export const IDLE_PASSPHRASE: PassphraseFlow = {
  phase: 'idle',
  step: null,
  error: null,
  cooldownUntil: null,
  result: null,
  remindAt: null,
};

type EscrowResult = NonNullable<PassphraseFlow['result']>;

export type PassphraseEvent =
  /** The user asked to create the recovery key with the passphrase they typed; `action` is the agent's. */
  | { type: 'create_requested'; now: number; action: Action | null }
  | { type: 'progress'; step: ProgressStep }
  | { type: 'created'; result: EscrowResult }
  | { type: 'failed'; error: UiError }
  /** The cool-down's end time has come. */
  | { type: 'cooldown_over' }
  | { type: 'agent_lost' }
  /** A key that was queued (server down) reached the server later. */
  | { type: 'uploaded_later'; now: number }
  /** The dialog is about to open; `action` is the agent's current request. */
  | { type: 'opening'; now: number; action: Action | null }
  /** The agent will remind the user at this time ("Not now"). */
  | { type: 'reminder_set'; remindAt: string };

export type PassphraseEffect =
  /** Answer the renderer's request with this error; nothing was sent. */
  | { type: 'refuse'; error: UiError }
  /** Send the passphrase to the agent to create the recovery key: for the volume it asked about, if any. */
  | { type: 'create_recovery_key'; volumeId: string | null }
  /** Deliver `cooldown_over` at this time (replacing any earlier one). */
  | { type: 'cooldown_timer'; at: number };

export interface PassphraseStep {
  /** The same object as the input when nothing changed, so the core publishes only real changes. */
  state: PassphraseFlow;
  effects: PassphraseEffect[];
}

export function passphraseFlow(state: PassphraseFlow, event: PassphraseEvent): PassphraseStep {
  const same = (...effects: PassphraseEffect[]): PassphraseStep => ({ state, effects });
  const refuse = (error: UiError) => same({ type: 'refuse', error });
  switch (event.type) {
    case 'create_requested': {
      if (state.phase === 'submitting') return refuse({ code: 'busy', message: s.errors.busy });
      if (state.cooldownUntil && Date.parse(state.cooldownUntil) > event.now) {
        return refuse({
          code: 'cooldown',
          message: state.error?.message ?? s.errors.notNow,
          until: state.cooldownUntil,
        });
      }
      return {
        state: { ...state, phase: 'submitting', step: 'checking_passphrase', error: null, result: null },
        effects: [{ type: 'create_recovery_key', volumeId: luksRequest(event.action)?.volumeId ?? null }],
      };
    }
    case 'progress':
      return state.phase === 'submitting' ? { state: { ...state, step: event.step }, effects: [] } : same();
    case 'created':
      return { state: { ...IDLE_PASSPHRASE, phase: 'success', result: event.result }, effects: [] };
    case 'failed': {
      const { error } = event;
      if (error.code === 'cooldown' && error.until) {
        return {
          state: { ...IDLE_PASSPHRASE, phase: 'cooldown', error, cooldownUntil: error.until },
          effects: [{ type: 'cooldown_timer', at: Date.parse(error.until) }],
        };
      }
      return { state: { ...IDLE_PASSPHRASE, phase: 'error', error }, effects: [] };
    }
    case 'cooldown_over':
      return state.phase === 'cooldown' ? { state: IDLE_PASSPHRASE, effects: [] } : same();
    case 'agent_lost':
      if (state.phase !== 'submitting') return same();
      return {
        state: {
          ...IDLE_PASSPHRASE,
          phase: 'error',
          error: { code: 'agent_unavailable', message: s.errors.agentUnavailable },
        },
        effects: [],
      };
    case 'uploaded_later':
      // The success screen said "queued"; now it can say the key is with the organization.
      if (state.phase !== 'success' || state.result?.outcome !== 'queued') return same();
      return {
        state: {
          ...state,
          result: { ...state.result, outcome: 'escrowed', escrowedAt: new Date(event.now).toISOString() },
        },
        effects: [],
      };
    case 'opening': {
      if (state.phase === 'submitting' || state.phase === 'cooldown') return same();
      // A stale error or an old success must not greet a fresh attempt; a cool-down the agent still
      // enforces (say, from before this app restarted) must.
      const until = luksRequest(event.action)?.cooldownUntil;
      if (until && Date.parse(until) > event.now) {
        return {
          state: { ...IDLE_PASSPHRASE, phase: 'cooldown', cooldownUntil: until, remindAt: state.remindAt },
          effects: [{ type: 'cooldown_timer', at: Date.parse(until) }],
        };
      }
      if (state.phase === 'idle') return same();
      return { state: { ...IDLE_PASSPHRASE, remindAt: state.remindAt }, effects: [] };
    }
    case 'reminder_set':
      return { state: { ...state, remindAt: event.remindAt }, effects: [] };
  }
}

function luksRequest(action: Action | null) {
  return action?.kind === 'luks_passphrase' ? action : null;
}
