import { describe, expect, it } from 'vitest';
import { keyLayout } from './key-format.js';

describe('recovery keys grouped as typed', () => {
  it('LUKS: 8 modhex groups, typed with dashes, and why the layout does not matter', () => {
    const k = 'cbdefghi-jklnrtuv-cccccccc-bbbbbbbb-dddddddd-eeeeeeee-ffffffff-gggggggg';
    const l = keyLayout('luks', k);
    expect(l.groups).toHaveLength(8);
    expect(l.typed).toBe(k);
    expect(l.howTo.join(' ')).toMatch(/QWERTY, QWERTZ and AZERTY/);
  });

  it('BitLocker: 8 groups of 6 digits; F-keys as a fallback', () => {
    const l = keyLayout('bitlocker', '123456-234567-345678-456789-567890-678901-789012-890123');
    expect(l.groups).toEqual([
      '123456',
      '234567',
      '345678',
      '456789',
      '567890',
      '678901',
      '789012',
      '890123',
    ]);
    expect(l.howTo.join(' ')).toMatch(/F1–F10/);
  });

  it('FileVault: 6 groups of 4', () => {
    const l = keyLayout('filevault', 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ');
    expect(l.groups).toHaveLength(6);
    expect(l.howTo.join(' ')).not.toMatch(/QWERTZ/);
  });
});
