import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (node:crypto; memory-hard, no dependency): N = 2^15, r = 8, p = 1,
 * a 16-byte random salt, a 32-byte hash. That costs 32 MiB and ~50–100 ms of one core per hash, which makes
 * guessing from a stolen database slow without letting a burst of sign-ins exhaust the server (sign-in is
 * rate limited per account and per address as well). Parameters are stored with each hash, so they can be
 * raised later and old hashes still verify.
 *
 * Stored as `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`.
 */
export const SCRYPT_PARAMS = { log2N: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number, keyLength: number) {
  const N = 2 ** log2N;
  // Node refuses above maxmem (32 MiB by default); scrypt needs 128 · N · r bytes plus a little.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const { log2N, r, p, keyLength, saltLength } = SCRYPT_PARAMS;
  const salt = randomBytes(saltLength);
  const hash = await derive(password, salt, log2N, r, p, keyLength);
  return ['scrypt', log2N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

const STORED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = STORED.exec(stored);
  if (!m) return false;
  const [log2N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (log2N < 10 || log2N > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5] ?? '', 'base64');
  if (expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(m[4] ?? '', 'base64'), log2N, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | null = null;
/**
 * A hash of nothing anyone knows, to verify against when the email is unknown: the answer then takes as
 * long as for a wrong password, so timing does not tell which emails have accounts.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString('base64'));
  return dummy;
}
