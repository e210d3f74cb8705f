import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import {
  decryptEnvelope,
  type EscrowKeyPair,
  isBitLockerRecoveryPassword,
  isFileVaultPrk,
  isLuksRecoveryKey,
} from '../../node-lib/cms/index.js';

/** The recovery-key shape each platform's envelope must contain. */
const SHAPE: Record<Platform, (s: Uint8Array) => boolean> = {
  linux: isLuksRecoveryKey,
  windows: isBitLockerRecoveryPassword,
  darwin: isFileVaultPrk,
};

/** Without trailing line breaks or spaces (a file written by a tool may end with a newline). */
function trimEnd(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && [0x0a, 0x0d, 0x20].includes(bytes[end - 1] as number)) end -= 1;
  return bytes.subarray(0, end);
}

/**
 * Decrypts an envelope and hands the recovery key bytes to `use` only when they have the platform's shape;
 * the bytes are wiped afterwards. Never says why an envelope did not open: whoever can submit envelopes
 * must learn nothing beyond "decryptable or not" (the padding-oracle lesson), and submissions are
 * rate-limited per host as well.
 */
async function withEscrowedKey<T>(
  base64Encrypted: string,
  platform: Platform,
  keys: readonly EscrowKeyPair[],
  use: (key: Buffer) => T,
): Promise<T | null> {
  let plaintext: Buffer | undefined;
  try {
    plaintext = await decryptEnvelope(Buffer.from(base64Encrypted, 'base64'), keys);
    const key = trimEnd(plaintext);
    return SHAPE[platform](key) ? use(key) : null;
  } catch {
    return null;
  } finally {
    plaintext?.fill(0);
  }
}

/** The recovery key as text, for the admin read (the one place it must leave the server in clear). */
export function openEscrowedKey(
  base64Encrypted: string,
  platform: Platform,
  keys: readonly EscrowKeyPair[],
): Promise<string | null> {
  return withEscrowedKey(base64Encrypted, platform, keys, (key) => key.toString('latin1'));
}

/** Decryptability only; no string copy of the key is ever made. */
export async function isDecryptable(
  base64Encrypted: string,
  platform: Platform,
  keys: readonly EscrowKeyPair[],
): Promise<boolean> {
  return (await withEscrowedKey(base64Encrypted, platform, keys, () => true)) === true;
}
