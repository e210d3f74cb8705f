/**
 * Removes PKCS#1 v1.5 encryption padding (RFC 8017 §7.2.2) from a raw RSA output block without a
 * data-dependent branch or error, for a message whose length is known up front (a content key).
 *
 * Node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809, Marvin), yet `openssl cms -encrypt` and
 * macOS FileVaultPRK.dat use it. So we run raw RSA and unpad here with implicit rejection: when the padding
 * is wrong we return `fallback` (a key the caller derives from secret + ciphertext) instead of failing, so a
 * bad padding and a good padding with wrong content look the same from outside: content decryption fails.
 *
 * Every byte is visited and the result is picked with masks; `em`, `keyLength` and `fallback.length` are the
 * only things that shape control flow, and the first two are public (modulus size and content cipher).
 */
export function unpadPkcs1v15KeyTransport(em: Uint8Array, keyLength: number, fallback: Uint8Array): Buffer {
  if (fallback.length !== keyLength) throw new RangeError('fallback key has the wrong length');
  const separatorIndex = em.length - keyLength - 1;
  // 0x00 0x02, at least 8 non-zero padding bytes, 0x00: a block too short for that is a public-size mismatch.
  if (separatorIndex < 10) return Buffer.from(fallback);

  let bad = (em[0] ?? 1) | ((em[1] ?? 0) ^ 0x02);
  for (let i = 2; i < separatorIndex; i++) bad |= isZeroBit(em[i] ?? 0);
  bad |= em[separatorIndex] ?? 1;

  // 0xff when bad === 0 (padding good), 0x00 otherwise; bad is at most 0xff so bit 31 of (bad - 1) decides.
  const keepMessage = ((bad - 1) >> 31) & 0xff;
  const out = Buffer.alloc(keyLength);
  for (let i = 0; i < keyLength; i++) {
    const message = em[separatorIndex + 1 + i] ?? 0;
    out[i] = (message & keepMessage) | ((fallback[i] ?? 0) & ~keepMessage & 0xff);
  }
  return out;
}

/** 1 when byte is 0, else 0, without comparing. */
function isZeroBit(byte: number): number {
  return ((byte - 1) >> 31) & 1;
}
