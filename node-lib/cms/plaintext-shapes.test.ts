import { describe, expect, it } from 'vitest';
import { isBitLockerRecoveryPassword, isFileVaultPrk, isLuksRecoveryKey } from './plaintext-shapes.js';

describe('plaintext shapes', () => {
  it('LUKS recovery key: 8 groups of 8 modhex characters', () => {
    const key = 'cbdefghi-jklnrtuv-cccccccc-vvvvvvvv-bdbdbdbd-eeeeffff-gghhiijj-kkllnnrr';
    expect(isLuksRecoveryKey(key)).toBe(true);
    expect(isLuksRecoveryKey(Buffer.from(key))).toBe(true);
    expect(isLuksRecoveryKey(key.replace('c', 'a'))).toBe(false); // 'a' is not modhex
    expect(isLuksRecoveryKey(key.toUpperCase())).toBe(false);
    expect(isLuksRecoveryKey(key.slice(0, -9))).toBe(false); // 7 groups
    expect(isLuksRecoveryKey(`${key}\n`)).toBe(false);
    expect(isLuksRecoveryKey(key.replaceAll('-', ''))).toBe(false);
  });

  it('BitLocker recovery password: 8 groups of 6 digits', () => {
    const password = '123456-654321-000000-999999-111111-222222-333333-444444';
    expect(isBitLockerRecoveryPassword(password)).toBe(true);
    expect(isBitLockerRecoveryPassword(Buffer.from(password))).toBe(true);
    expect(isBitLockerRecoveryPassword(password.replace('1', 'a'))).toBe(false);
    expect(isBitLockerRecoveryPassword(password.slice(0, -7))).toBe(false);
    expect(isBitLockerRecoveryPassword(password.replace('123456', '12345'))).toBe(false);
    expect(isBitLockerRecoveryPassword(Buffer.from(password.replace('1', '١')))).toBe(false); // Arabic-Indic digit
  });

  it('FileVault PRK: 6 groups of 4 upper-case letters or digits', () => {
    const prk = 'AB12-CD34-EF56-GH78-JK90-LM12';
    expect(isFileVaultPrk(prk)).toBe(true);
    expect(isFileVaultPrk(Buffer.from(prk))).toBe(true);
    expect(isFileVaultPrk(prk.toLowerCase())).toBe(false);
    expect(isFileVaultPrk(prk.slice(0, -5))).toBe(false);
    expect(isFileVaultPrk(`${prk}-ABCD`)).toBe(false);
    expect(isFileVaultPrk(prk.replace('-', '_'))).toBe(false);
  });

  it('random garbage (as from a substitute content key) matches none of them', () => {
    const garbage = Buffer.from('9f3a1c77e0b2d4a68812ce0f5b6a7d01', 'hex');
    expect(
      [isLuksRecoveryKey, isBitLockerRecoveryPassword, isFileVaultPrk].some((check) => check(garbage)),
    ).toBe(false);
  });
});
