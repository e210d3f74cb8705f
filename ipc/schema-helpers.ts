import { z } from 'zod';
import { MAX_STRING_LENGTH } from './desktop-agent/limits.js';

/** `String.prototype.isWellFormed` (ES2024; Node 20+, Chromium 111+), typed here because our lib is ES2023. */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

export const NOT_STORABLE_TEXT =
  'must be well-formed Unicode text (no unpaired surrogates, no NUL characters)';

/**
 * Text every program and both databases keep exactly as sent: well-formed UTF-16 (an unpaired surrogate has
 * no UTF-8 form, so a database would store U+FFFD in its place, and two different strings would become one)
 * and no U+0000 (PostgreSQL's text cannot hold it; SQLite can, so the two would differ).
 */
export function isStorableText(s: string): boolean {
  return isWellFormed(s) && !s.includes('\0');
}

/**
 * A bounded string: every string in every contract has a maximum length and is storable text (above).
 * Every string field of the contracts goes through this helper; `ipc/schema-helpers.test.ts` walks the
 * agent ↔ server and admin schemas and fails on a string field that accepts an unpaired surrogate.
 */
export const text = (max = MAX_STRING_LENGTH, tooLong?: string) =>
  z.string().max(max, tooLong).refine(isStorableText, NOT_STORABLE_TEXT);
export const isoTime = z.iso.datetime({ offset: true });
export const requestId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
