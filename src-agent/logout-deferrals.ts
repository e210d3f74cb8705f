import path from 'node:path';
import { z } from 'zod';
import type { Action } from '../ipc/desktop-agent/device-status.js';
import { AgentError } from '../ipc/desktop-agent/errors.js';
import { JsonStateFile } from './durable-file.js';

type LogoutAction = Extract<Action, { kind: 'macos_logout' }>;

/** Without a server deadline, the user has this long from the first prompt (Nudge-like default). */
export const DEFAULT_LOGOUT_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Without a server count, "Later" may be chosen this many times. */
export const DEFAULT_MAX_DEFERRALS = 3;
/** "Later" hides the prompt for this long (never past the deadline). */
export const REPROMPT_AFTER_MS = 60 * 60 * 1000;

/** One log-out request as the user has lived it: when it was first shown and how often deferred. */
export const DeferralRecord = z.object({
  firstPromptAt: z.number().int().nonnegative(),
  used: z.number().int().nonnegative(),
  nextPromptAt: z.number().int().nonnegative().nullable(),
});
export type DeferralRecord = z.infer<typeof DeferralRecord>;

/**
 * Pure: the platform's action (the server's deadline if it set one, the allowed number of deferrals)
 * combined with what the user did. The agent, not the desktop, counts: quitting the app must not reset it.
 */
export function applyDeferrals(action: LogoutAction, record: DeferralRecord, now: number): LogoutAction {
  const deadline = action.deadline ?? new Date(record.firstPromptAt + DEFAULT_LOGOUT_WINDOW_MS).toISOString();
  const overdue = now >= Date.parse(deadline);
  return {
    kind: 'macos_logout',
    deadline,
    deferralsLeft: overdue ? 0 : Math.max(0, action.deferralsLeft - record.used),
    nextPromptAt:
      record.nextPromptAt !== null && record.nextPromptAt > now && !overdue
        ? new Date(record.nextPromptAt).toISOString()
        : null,
  };
}

/** Pure: "Later" → the next record, or a refusal the desktop shows (it hides "Later" in these cases). */
export function deferOnce(action: LogoutAction, record: DeferralRecord, now: number): DeferralRecord {
  const current = applyDeferrals(action, record, now);
  if (current.deferralsLeft === 0) {
    // Not allowed rather than not needed: the log-out is still required, only "Later" is gone.
    throw new AgentError('not_permitted', 'The log-out can no longer be postponed; please log out now.');
  }
  const deadline = Date.parse(current.deadline as string);
  return { ...record, used: record.used + 1, nextPromptAt: Math.min(now + REPROMPT_AFTER_MS, deadline) };
}

/** When the status next changes by itself (a deferral runs out, the deadline passes); null if never. */
export function nextChangeAt(action: LogoutAction, now: number): number | null {
  const times = [action.nextPromptAt, action.deadline]
    .map((t) => (t ? Date.parse(t) : Number.NaN))
    .filter((t) => t > now);
  return times.length > 0 ? Math.min(...times) : null;
}

/**
 * The record of the current log-out request, kept in the state dir across agent restarts; removed when
 * the request is over, so the next rotation starts with a fresh deadline and a full count.
 */
export class LogoutDeferralStore {
  // Writes in call order: a background "first shown" save must never land after the "Later" that followed.
  private readonly file: JsonStateFile<DeferralRecord>;

  constructor(stateDir: string) {
    this.file = new JsonStateFile(path.join(stateDir, 'logout-deferrals.json'), DeferralRecord);
  }

  /** A torn or edited file restarts the count: the deadline from the server still holds. */
  load(): Promise<DeferralRecord | null> {
    return this.file.load();
  }

  save(record: DeferralRecord): Promise<void> {
    return this.file.save(record);
  }

  clear(): Promise<void> {
    return this.file.clear();
  }
}
