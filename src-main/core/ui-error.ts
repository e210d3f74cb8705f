import { UiError } from '../../ipc/window-bridge/contract.js';
import { mainStrings as s } from './strings.js';

export const AGENT_UNAVAILABLE: UiError = { code: 'agent_unavailable', message: s.errors.agentUnavailable };

/** Agent errors carry a code and a plain-words message written for people; keep both, add the details. */
export function uiErrorOf(err: unknown): UiError {
  const e = err as { code?: unknown; message?: unknown; details?: { attemptsLeft?: number; until?: string } };
  const parsed = UiError.shape.code.safeParse(e?.code);
  const error: UiError = {
    code: parsed.success ? parsed.data : 'internal',
    message: typeof e?.message === 'string' ? e.message.slice(0, 1000) : 'Something went wrong.',
  };
  if (e?.details?.attemptsLeft !== undefined) error.attemptsLeft = e.details.attemptsLeft;
  if (e?.details?.until !== undefined) error.until = e.details.until;
  return error;
}
