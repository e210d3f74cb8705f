import type { Action } from '../../ipc/desktop-agent/device-status.js';
import type { LogoutFlow, UiError } from '../../ipc/window-bridge/contract.js';
import { logoutPlan } from './logout-plan.js';
import { LogoutError } from './logout-port.js';
import { mainStrings as s } from './strings.js';

/**
 * The macOS log-out prompt's flow as a pure function: what the prompt shows after each thing that happens
 * (the agent's request, time passing, the user's clicks, the OS closing the window), and what the core
 * must do about it. The server owns the policy (logout-plan.ts); this only follows it. Null while no
 * log-out is asked for.
 */
export type LogoutState = LogoutFlow | null;

export type LogoutEvent =
  /** The agent's requested action, as it last reported it (any kind, or none). */
  | { type: 'action'; action: Action | null; now: number }
  /** Time to decide whether to ask now: the request has settled, or a recheck time has come. */
  | { type: 'prompt'; now: number }
  | { type: 'open_requested' }
  | { type: 'close_requested' }
  /** The prompt window is gone (the user or the OS closed it). */
  | { type: 'window_closed' }
  | { type: 'defer_requested' }
  /** The agent granted a deferral (its new request arrives as an `action`). */
  | { type: 'deferred' }
  | { type: 'log_out_requested' }
  | { type: 'log_out_failed'; error: UiError };

export type LogoutEffect =
  /** Answer the renderer's request with this error; nothing else happens. */
  | { type: 'refuse'; error: UiError }
  | { type: 'open_window'; mustAct: boolean }
  | { type: 'close_window' }
  /** Tell the user once per distinct `key`; a click on the notice opens the prompt. */
  | { type: 'notify'; key: string; overdue: boolean }
  /**
   * Look at the request again at this time (a deferral runs out, the deadline passes): derive the state
   * afresh, then `prompt`. Replaces any earlier recheck; null: nothing to wait for.
   */
  | { type: 'recheck_at'; at: number | null }
  /** Ask the agent for a deferral. */
  | { type: 'defer' }
  /** End the session: only ever the answer to the user's own click. */
  | { type: 'log_out' };

export interface LogoutStep {
  /** The same object as the input when nothing changed, so the core publishes only real changes. */
  state: LogoutState;
  effects: LogoutEffect[];
}

export function logoutFlow(state: LogoutState, event: LogoutEvent): LogoutStep {
  const same = (...effects: LogoutEffect[]): LogoutStep => ({ state, effects });
  const notNow = same({ type: 'refuse', error: { code: 'not_allowed_now', message: s.errors.notNow } });
  switch (event.type) {
    case 'action': {
      const { action, now } = event;
      if (action?.kind !== 'macos_logout') {
        // Closed only when nothing is asked any more: another request replacing this one is not an answer.
        const effects: LogoutEffect[] = action === null ? [{ type: 'recheck_at', at: null }] : [];
        if (action === null && state) effects.push({ type: 'close_window' });
        return { state: null, effects };
      }
      const plan = logoutPlan(action, now);
      return {
        state: {
          deadline: action.deadline,
          deferralsLeft: action.deferralsLeft,
          nextPromptAt: action.nextPromptAt,
          overdue: plan.overdue,
          canDefer: plan.canDefer,
          phase: state?.phase ?? 'idle',
          error: state?.error ?? null,
        },
        effects: [],
      };
    }
    case 'prompt': {
      if (!state) return same();
      const { deadline, deferralsLeft, nextPromptAt } = state;
      const plan = logoutPlan({ kind: 'macos_logout', deadline, deferralsLeft, nextPromptAt }, event.now);
      const effects: LogoutEffect[] = [{ type: 'recheck_at', at: plan.recheckAt }];
      if (plan.promptNow) {
        effects.push(
          { type: 'notify', key: `logout:${nextPromptAt ?? ''}:${plan.overdue}`, overdue: plan.overdue },
          // A log-out prompt is a window, not only a notification: the user must answer it.
          { type: 'open_window', mustAct: state.overdue },
        );
      }
      return same(...effects);
    }
    case 'open_requested':
      return state ? same({ type: 'open_window', mustAct: state.overdue }) : notNow;
    case 'close_requested':
      return state?.overdue ? notNow : same({ type: 'close_window' });
    case 'window_closed':
      // Past the deadline the prompt comes straight back: it stays until the user logs out.
      return state?.overdue && state.phase !== 'logging_out'
        ? same({ type: 'open_window', mustAct: true })
        : same();
    case 'defer_requested':
      return state?.canDefer ? same({ type: 'defer' }) : notNow;
    case 'deferred':
      return same({ type: 'close_window' });
    case 'log_out_requested':
      if (!state) return notNow;
      return { state: { ...state, phase: 'logging_out', error: null }, effects: [{ type: 'log_out' }] };
    case 'log_out_failed':
      return state ? { state: { ...state, phase: 'error', error: event.error }, effects: [] } : same();
  }
}

/** What the user is told when logging out failed: the port's own words, or a general instruction. */
export function logoutErrorOf(err: unknown): UiError {
  return err instanceof LogoutError
    ? { code: err.code, message: err.message }
    : { code: 'logout_failed', message: s.errors.logoutFailed };
}
