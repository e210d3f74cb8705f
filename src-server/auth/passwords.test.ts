import { describe, expect, it } from 'vitest';
import { dummyHash, hashPassword, SCRYPT_PARAMS, verifyPassword } from './passwords.js';

describe('password hashing (scrypt)', () => {
  it('verifies the right password, refuses a wrong one, and salts every hash', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a.startsWith(`scrypt$${SCRYPT_PARAMS.log2N}$8$1$`)).toBe(true);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  });

  it('treats NFC and NFD spellings of the same password as one', async () => {
    const h = await hashPassword('caf\u00e9-passphrase');
    expect(await verifyPassword('cafe\u0301-passphrase', h)).toBe(true);
  });

  it('never matches a malformed or out-of-range stored hash (no exception either)', async () => {
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$40$8$1$AAAA$AAAA')).toBe(false);
    expect(await verifyPassword('x', 'plain:x')).toBe(false);
    expect(await verifyPassword('x', await dummyHash())).toBe(false);
  });
});
