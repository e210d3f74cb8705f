import { describe, expect, it } from 'vitest';
import {
  generateRecoveryKey,
  isRecoveryKeyFormat,
  MODHEX_ALPHABET,
  normalizeRecoveryKey,
  RECOVERY_KEY_LENGTH,
  wipe,
} from './recovery-key.js';

describe('recovery key', () => {
  it('is 8 dash-separated groups of 8 modhex characters', () => {
    const key = generateRecoveryKey();
    expect(key.length).toBe(RECOVERY_KEY_LENGTH);
    expect(key.toString('ascii')).toMatch(/^[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}$/);
    expect(isRecoveryKeyFormat(key)).toBe(true);
  });

  it('carries 256 bits: decoding the modhex gives 32 bytes, and keys differ', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const hex = [...generateRecoveryKey().toString('ascii').replaceAll('-', '')]
        .map((c) => MODHEX_ALPHABET.indexOf(c).toString(16))
        .join('');
      expect(Buffer.from(hex, 'hex')).toHaveLength(32);
      seen.add(hex);
    }
    expect(seen.size).toBe(200);
  });

  it('uses every modhex letter about equally (no bias from the mapping)', () => {
    const counts = new Map<string, number>();
    const keys = 2000;
    for (let i = 0; i < keys; i++) {
      for (const c of generateRecoveryKey().toString('ascii').replaceAll('-', ''))
        counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const expected = (keys * 64) / 16; // 8000 per letter
    expect([...counts.keys()].sort().join('')).toBe([...MODHEX_ALPHABET].sort().join(''));
    // 8000 ± 5 standard deviations (sd ≈ 87): fails only for a real bias.
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(450);
  });

  it('rejects other shapes', () => {
    const key = generateRecoveryKey();
    expect(isRecoveryKeyFormat(key.subarray(1))).toBe(false);
    const bad = Buffer.from(key);
    bad[8] = 0x61; // 'a' where a dash belongs
    expect(isRecoveryKeyFormat(bad)).toBe(false);
    const upper = Buffer.from(key.toString('ascii').toUpperCase());
    expect(isRecoveryKeyFormat(upper)).toBe(false);
  });

  it('wipe() zeroes every buffer it is given and ignores absent ones', () => {
    const a = generateRecoveryKey();
    const b = Buffer.from('secret');
    wipe(a, null, b, undefined);
    expect(a.every((x) => x === 0)).toBe(true);
    expect(b.every((x) => x === 0)).toBe(true);
  });
});

describe('normalizeRecoveryKey (the key as typed after a reveal)', () => {
  const key = generateRecoveryKey();
  const canonical = key.toString('ascii');

  it('accepts the key as shown, without dashes, in capitals, and with spaces between groups', () => {
    const forms = [
      canonical,
      canonical.replaceAll('-', ''),
      canonical.toUpperCase(),
      canonical.replaceAll('-', ' '),
      ` ${canonical.replaceAll('-', ' - ')}\t`,
      `${canonical.slice(0, 4)} ${canonical.slice(4)}`,
    ];
    for (const f of forms) expect(normalizeRecoveryKey(Buffer.from(f))?.toString('ascii')).toBe(canonical);
  });

  it('refuses another letter, a digit, and a key one letter short or long', () => {
    for (const bad of [
      `a${canonical.slice(1)}`,
      `1${canonical.slice(1)}`,
      canonical.slice(0, -1),
      `${canonical}c`,
      '',
    ]) {
      expect(normalizeRecoveryKey(Buffer.from(bad))).toBeNull();
    }
  });
});
