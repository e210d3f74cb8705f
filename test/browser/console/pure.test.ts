import { describe, expect, it } from 'vitest';
import { keyAsTyped, keyGroups } from '../../../src-console/recovery-key.js';
import { safeNext } from '../../../src-console/safe-next.js';
import { BITLOCKER_KEY, FILEVAULT_PRK, luksKey } from '../../../src-server/test-support/server.js';

/**
 * The console's pure pieces, in Node: how keys are grouped, and which "next" pages sign-in accepts.
 * (They live with the browser tests because the unit project covers the source rooms it lists.)
 */
describe('recovery keys are grouped as they are typed', () => {
  it('LUKS: 8 groups of 8 modhex characters, whatever separators arrived', () => {
    const key = luksKey(3);
    expect(keyGroups(key, 'luks')).toHaveLength(8);
    expect(keyGroups(key.replace(/-/g, '').toUpperCase(), 'luks')).toEqual(key.split('-'));
    expect(keyAsTyped(key.replace(/-/g, ' '), 'luks')).toBe(key);
  });

  it('BitLocker: 8 groups of 6 digits; FileVault: 6 groups of 4', () => {
    expect(keyGroups(BITLOCKER_KEY, 'bitlocker')).toEqual(BITLOCKER_KEY.split('-'));
    expect(keyGroups(BITLOCKER_KEY.replace(/-/g, ''), 'bitlocker')).toEqual(BITLOCKER_KEY.split('-'));
    expect(keyGroups(FILEVAULT_PRK.toLowerCase(), 'filevault')).toEqual(FILEVAULT_PRK.split('-'));
  });

  it('a key of another shape is shown exactly as stored, never regrouped', () => {
    expect(keyGroups('not-a-luks-key', 'luks')).toEqual(['not-a-luks-key']);
    expect(keyGroups('12345-67890', 'bitlocker')).toEqual(['12345-67890']);
    expect(keyGroups(`${luksKey(1)}x`, 'luks')).toHaveLength(1);
  });
});

describe('the page to open after sign-in', () => {
  it('is a console path, or the dashboard', () => {
    expect(safeNext('/admin/hosts?query=SER-1')).toBe('/admin/hosts?query=SER-1');
    expect(safeNext('/admin/hosts/12')).toBe('/admin/hosts/12');
    for (const evil of [
      null,
      '',
      'https://evil.example/admin/',
      '//evil.example/admin/',
      '/admin\\..\\evil',
      'javascript:alert(1)',
      '/api/latest/fleet/me',
      '/admin/sign-in?next=/admin/',
    ]) {
      expect(safeNext(evil)).toBe('/admin/');
    }
  });
});
