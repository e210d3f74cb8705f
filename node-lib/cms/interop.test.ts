import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelope } from './decrypt.js';
import { encryptToCertificate } from './encrypt.js';
import { createEscrowCertificate, type EscrowKeyPair } from './escrow-certificate.js';
import { OpenSslCms } from './test-support/openssl-cli.js';

/** Envelopes crossing between this module and the openssl 3 CLI, in both directions. */
describe('CMS interop with openssl cms', () => {
  const openssl = new OpenSslCms();
  const prk = Buffer.from('Q7WP-9XKD-3MZT-H2RV-LC8N-B4YF');
  let pair: EscrowKeyPair;
  let files: { cert: string; key: string };

  beforeAll(async () => {
    pair = await createEscrowCertificate();
    files = openssl.writeKeyPair(pair);
  });
  afterAll(() => openssl.cleanup());

  it('our envelope decrypts with openssl cms -decrypt', async () => {
    const envelope = await encryptToCertificate(prk, pair.certificatePem);
    expect(openssl.decrypt(envelope, files)).toEqual(prk);
  });

  it('our envelope is DER with RSA-OAEP/SHA-256/MGF1-SHA-256 and AES-256-CBC', async () => {
    const dump = openssl.asn1parse(await encryptToCertificate(prk, pair.certificatePem));
    expect(dump).toContain(':pkcs7-envelopedData');
    expect(dump).toContain(':rsaesOaep');
    expect(dump).toContain(':mgf1');
    expect(dump.match(/:sha256\s*$/gm)).toHaveLength(2); // OAEP hash and MGF1 hash
    expect(dump).toContain(':aes-256-cbc');
    expect(dump).not.toContain('l=inf'); // no BER indefinite lengths
  });

  it.each([
    ['PKCS#1 v1.5 (openssl default), AES-256-CBC', ['-aes256'], []],
    ['PKCS#1 v1.5, AES-128-CBC (macOS PRK shape)', ['-aes128'], []],
    ['PKCS#1 v1.5, AES-192-CBC', ['-aes192'], []],
    ['PKCS#1 v1.5, 3DES-CBC', ['-des3'], []],
    ['RSA-OAEP default SHA-1, AES-256-CBC', ['-aes256'], ['-keyopt', 'rsa_padding_mode:oaep']],
    [
      'RSA-OAEP SHA-256, AES-256-CBC',
      ['-aes256'],
      ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'],
    ],
    ['recipient named by subject key identifier', ['-aes256', '-keyid'], []],
    ['streaming (BER, indefinite lengths, chunked content)', ['-aes256', '-stream'], []],
    ['openssl default cipher', [], []],
  ])('openssl cms -encrypt with %s decrypts here', async (_name, options, recipientOptions) => {
    const envelope = openssl.encrypt(prk, files.cert, options, recipientOptions);
    expect(await decryptEnvelope(envelope, [pair])).toEqual(prk);
  });

  it('reads the recorded openssl fixtures (v1.5 + AES-128, OAEP with default params)', async () => {
    const fixtures = join(import.meta.dirname, './fixtures');
    const recipient: EscrowKeyPair = {
      certificatePem: readFileSync(join(fixtures, 'recipient-cert.pem'), 'utf8'),
      privateKeyPem: readFileSync(join(fixtures, 'recipient-key.pem'), 'utf8'),
    };
    for (const name of ['prk-pkcs1v15-aes128.der', 'prk-oaep-sha1-aes256.der']) {
      const plaintext = await decryptEnvelope(readFileSync(join(fixtures, name)), [recipient]);
      expect(plaintext.toString()).toBe('AB12-CD34-EF56-GH78-JK90-LM12');
    }
  });
});
