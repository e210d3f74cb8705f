import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptToCertificate } from './encrypt.js';
import { isWellFormedEnvelope } from './envelope-parse.js';
import { createEscrowCertificate, type EscrowKeyPair } from './escrow-certificate.js';
import { OpenSslCms } from './test-support/openssl-cli.js';

describe('isWellFormedEnvelope', () => {
  const openssl = new OpenSslCms();
  let pair: EscrowKeyPair;
  let certPath: string;

  beforeAll(async () => {
    pair = await createEscrowCertificate();
    certPath = openssl.writeKeyPair(pair).cert;
  });
  afterAll(() => openssl.cleanup());

  it('accepts our envelopes and openssl cms -encrypt output', async () => {
    expect(isWellFormedEnvelope(await encryptToCertificate(Buffer.from('x'), pair.certificatePem))).toBe(
      true,
    );
    expect(isWellFormedEnvelope(openssl.encrypt(Buffer.from('x'), certPath, ['-aes128']))).toBe(true);
    expect(
      isWellFormedEnvelope(readFileSync(join(import.meta.dirname, './fixtures/prk-pkcs1v15-aes128.der'))),
    ).toBe(true);
  });

  it('accepts streamed (BER, indefinite-length) output from openssl', () => {
    expect(isWellFormedEnvelope(openssl.encrypt(Buffer.from('x'), certPath, ['-aes128', '-stream']))).toBe(
      true,
    );
  });

  it('rejects garbage, truncated, extended and non-enveloped CMS', async () => {
    const envelope = await encryptToCertificate(Buffer.from('x'), pair.certificatePem);
    expect(isWellFormedEnvelope(new Uint8Array(0))).toBe(false);
    expect(isWellFormedEnvelope(Buffer.from('garbage'))).toBe(false);
    expect(isWellFormedEnvelope(envelope.subarray(0, envelope.length - 1))).toBe(false);
    expect(isWellFormedEnvelope(envelope.subarray(0, 100))).toBe(false);
    expect(isWellFormedEnvelope(Buffer.concat([envelope, Buffer.from([0x00, 0x00])]))).toBe(false);
    expect(isWellFormedEnvelope(Buffer.from(pair.certificatePem))).toBe(false);
  });

  it('rejects CMS that no escrow key could open: password-only EnvelopedData, EncryptedData', () => {
    const passwordOnly = openssl.cms(
      ['-encrypt', '-binary', '-outform', 'DER', '-aes128', '-pwri_password', 'pass:pw'],
      Buffer.from('x'),
    );
    expect(isWellFormedEnvelope(passwordOnly)).toBe(false);
    const encryptedData = openssl.cms(
      [
        '-EncryptedData_encrypt',
        '-binary',
        '-outform',
        'DER',
        '-aes128',
        '-secretkey',
        '000102030405060708090a0b0c0d0e0f',
      ],
      Buffer.from('x'),
    );
    expect(isWellFormedEnvelope(encryptedData)).toBe(false);
    // and the same password-based envelope with a certificate recipient added is fine again
    expect(
      isWellFormedEnvelope(
        openssl.encrypt(Buffer.from('x'), certPath, ['-aes128', '-pwri_password', 'pass:pw']),
      ),
    ).toBe(true);
  });
});
