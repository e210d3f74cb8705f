import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Node keys, admin tokens and the enroll secret are 256-bit random values, so a plain SHA-256 is a safe
 * way to store them (nothing to brute-force, unlike a password). Lookups go by digest: an attacker who
 * times the index lookup learns about digests of their own guesses, never about a stored value's bytes.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** One-shot crypto.hash: it runs on every agent request and costs less than a createHash object. */
export function digest(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function matchesDigest(secret: string, storedDigest: string): boolean {
  const a = Buffer.from(digest(secret), 'hex');
  const b = Buffer.from(storedDigest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
