import type { z } from 'zod';
import type { MacLogoutAction } from '../../ipc/desktop-agent/device-status.js';

export type LogoutAction = z.infer<typeof MacLogoutAction>;

export interface LogoutPlan {
  /** The server's deadline has passed: no more deferrals, the prompt stays in front. */
  overdue: boolean;
  canDefer: boolean;
  /** Show the prompt now (first time, a deferral ran out, or overdue). */
  promptNow: boolean;
  /** When to look again (next scheduled prompt or the deadline), or null when nothing is scheduled. */
  recheckAt: number | null;
}

/**
 * When to ask a Mac user to log out. The server owns the policy (deadline, deferrals left, next prompt);
 * the desktop only follows it, so a restart of the app cannot reset a deferral count.
 */
export function logoutPlan(action: LogoutAction, now: number): LogoutPlan {
  const deadline = action.deadline ? Date.parse(action.deadline) : null;
  const next = action.nextPromptAt ? Date.parse(action.nextPromptAt) : null;
  const overdue = deadline !== null && now >= deadline;
  const canDefer = !overdue && action.deferralsLeft > 0;
  const promptNow = overdue || next === null || now >= next;
  const future = [deadline, next].filter((t): t is number => t !== null && t > now);
  return { overdue, canDefer, promptNow, recheckAt: future.length > 0 ? Math.min(...future) : null };
}
