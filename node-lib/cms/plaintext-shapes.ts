/**
 * Shapes of the secrets that travel inside envelopes. The server checks a decrypted plaintext against the
 * shape its endpoint expects; a mismatch counts as "not decryptable" (see decrypt.ts on implicit rejection).
 */

/** Our LUKS recovery key: 8 groups of 8 modhex characters (YubiKey alphabet), dash-separated. */
const LUKS_RECOVERY_KEY = /^[cbdefghijklnrtuv]{8}(?:-[cbdefghijklnrtuv]{8}){7}$/;
/** BitLocker recovery password: 8 groups of 6 digits, dash-separated. */
const BITLOCKER_RECOVERY_PASSWORD = /^\d{6}(?:-\d{6}){7}$/;
/** macOS FileVault personal recovery key: 6 groups of 4 upper-case letters or digits, dash-separated. */
const FILEVAULT_PRK = /^[A-Z0-9]{4}(?:-[A-Z0-9]{4}){5}$/;

export type Plaintext = string | Uint8Array;

export function isLuksRecoveryKey(value: Plaintext): boolean {
  return matches(LUKS_RECOVERY_KEY, value);
}

export function isBitLockerRecoveryPassword(value: Plaintext): boolean {
  return matches(BITLOCKER_RECOVERY_PASSWORD, value);
}

export function isFileVaultPrk(value: Plaintext): boolean {
  return matches(FILEVAULT_PRK, value);
}

/** Decrypted bytes are tested as ASCII; `\d` and the classes above never match non-ASCII. */
function matches(shape: RegExp, value: Plaintext): boolean {
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
  return shape.test(text);
}
