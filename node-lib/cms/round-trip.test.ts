import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelope } from './decrypt.js';
import { encryptToCertificate } from './encrypt.js';
import { isWellFormedEnvelope } from './envelope-parse.js';
import { createEscrowCertificate, type EscrowKeyPair } from './escrow-certificate.js';

describe('encryptToCertificate → decryptEnvelope', () => {
  let pair: EscrowKeyPair;
  let other: EscrowKeyPair;

  beforeAll(async () => {
    [pair, other] = await Promise.all([createEscrowCertificate(), createEscrowCertificate()]);
  });

  it('returns any plaintext unchanged, including empty and block-aligned ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2048 }), async (plaintext) => {
        const envelope = await encryptToCertificate(plaintext, pair.certificatePem);
        expect(isWellFormedEnvelope(envelope)).toBe(true);
        expect(await decryptEnvelope(envelope, [other, pair])).toEqual(Buffer.from(plaintext));
      }),
      { numRuns: 300 },
    );
  });

  it('never produces the same envelope twice for the same plaintext (fresh key and IV)', async () => {
    const plaintext = Buffer.from('AB12-CD34-EF56-GH78-JK90-LM12');
    const a = await encryptToCertificate(plaintext, pair.certificatePem);
    const b = await encryptToCertificate(plaintext, pair.certificatePem);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(plaintext)).toBe(false);
  });
});
