import { describe, expect, it } from 'vitest';
import { retryDelay } from './retry-delay.js';

describe('retryDelay', () => {
  it('retry grows exponentially, is capped, and never drops below half the base', () => {
    const p = { baseMs: 1000, maxMs: 60_000 };
    expect(retryDelay(0, p, () => 0.999)).toBe(999);
    expect(retryDelay(3, p, () => 0.999)).toBe(7992);
    expect(retryDelay(20, p, () => 0.999)).toBe(59_940);
    expect(retryDelay(5, p, () => 0)).toBe(500);
  });
});
