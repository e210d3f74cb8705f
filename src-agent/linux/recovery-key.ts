import { randomBytes } from 'node:crypto';

/**
 * Recovery keys in the systemd-cryptenroll format: 256 random bits written as 8 groups of 8 "modhex"
 * characters separated by dashes. Modhex letters sit on the same keys on common keyboard layouts, so the
 * key can be typed at the boot prompt on any machine. The dashed string itself is the LUKS passphrase.
 *
 * The key is built byte by byte inside a Buffer and never becomes a JS string: strings cannot be wiped,
 * Buffers can (see wipe()).
 */

export const MODHEX_ALPHABET = 'cbdefghijklnrtuv';
export const RECOVERY_KEY_BITS = 256;
const GROUPS = 8;
const GROUP_CHARS = 8;
/** 64 modhex characters plus 7 dashes. */
export const RECOVERY_KEY_LENGTH = GROUPS * GROUP_CHARS + (GROUPS - 1);

const ALPHABET_BYTES = Buffer.from(MODHEX_ALPHABET, 'ascii');
const DASH = 0x2d;

/** A fresh recovery key from the OS CSPRNG. The caller owns the Buffer and must wipe() it. */
export function generateRecoveryKey(): Buffer {
  const entropy = randomBytes(RECOVERY_KEY_BITS / 8);
  try {
    const out = Buffer.alloc(RECOVERY_KEY_LENGTH);
    let pos = 0;
    for (let i = 0; i < entropy.length; i++) {
      if (i > 0 && i % (GROUP_CHARS / 2) === 0) out[pos++] = DASH;
      const byte = entropy[i] as number;
      out[pos++] = ALPHABET_BYTES[byte >> 4] as number;
      out[pos++] = ALPHABET_BYTES[byte & 0x0f] as number;
    }
    return out;
  } finally {
    entropy.fill(0);
  }
}

/** True when the bytes have the exact recovery-key shape (used to validate keys read back in tests/tools). */
export function isRecoveryKeyFormat(key: Uint8Array): boolean {
  if (key.length !== RECOVERY_KEY_LENGTH) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key[i] as number;
    const isDashPosition = i % (GROUP_CHARS + 1) === GROUP_CHARS;
    if (isDashPosition ? c !== DASH : !ALPHABET_BYTES.includes(c)) return false;
  }
  return true;
}

/**
 * A recovery key as a person types it, in the exact form the slot was made with. Accepted: the 64 modhex
 * letters in any case, with or without the dashes, and with spaces, tabs or dashes anywhere (as it is
 * read aloud or copied from the portal's groups). Modhex letters are the same keys on QWERTY, QWERTZ and
 * AZERTY, so the layout does not matter either. Returns null for anything else (another letter, a digit,
 * too few or too many letters). The caller wipes both Buffers.
 */
export function normalizeRecoveryKey(typed: Uint8Array): Buffer | null {
  const out = Buffer.alloc(RECOVERY_KEY_LENGTH);
  let letters = 0;
  for (let i = 0; i < typed.length; i++) {
    let c = typed[i] as number;
    if (c === DASH || c === 0x20 || c === 0x09) continue;
    if (c >= 0x41 && c <= 0x5a) c += 0x20; // A-Z → a-z
    if (!ALPHABET_BYTES.includes(c) || letters === GROUPS * GROUP_CHARS) {
      out.fill(0);
      return null;
    }
    const pos = letters + Math.floor(letters / GROUP_CHARS);
    if (letters > 0 && letters % GROUP_CHARS === 0) out[pos - 1] = DASH;
    out[pos] = c;
    letters++;
  }
  if (letters !== GROUPS * GROUP_CHARS) {
    out.fill(0);
    return null;
  }
  return out;
}

/** Overwrite secret bytes in place. Accepts absent values so `finally` blocks stay short. */
export function wipe(...buffers: (Uint8Array | null | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
