import { z } from 'zod';
import { MAX_STRING_LENGTH } from './desktop-agent/limits.js';

/** A bounded string: every string in the contract has a maximum length. */
export const text = (max = MAX_STRING_LENGTH) => z.string().max(max);
export const isoTime = z.iso.datetime({ offset: true });
export const requestId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
