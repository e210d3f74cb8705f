import { constants, createPrivateKey, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import type { KeyTransRecipient } from './envelope-parse.js';
import { unwrapContentKey } from './key-transport.js';
import { OID } from './oids.js';

const fixtures = join(import.meta.dirname, './fixtures');
const certificatePem = readFileSync(join(fixtures, 'recipient-cert.pem'), 'utf8');
const rightKey = createPrivateKey(readFileSync(join(fixtures, 'recipient-key.pem')));
const wrongKey = createPrivateKey(readFileSync(join(fixtures, 'other-key.pem')));
const publicKey = new X509Certificate(certificatePem).publicKey;
const secret = Buffer.alloc(32, 7);

function recipient(oid: string, params: asn1js.AsnType, encryptedKey: Buffer): KeyTransRecipient {
  return {
    rid: { kind: 'subjectKeyId', keyId: Buffer.alloc(20) },
    keyEncryptionAlgorithm: { oid, params },
    encryptedKey,
  };
}

/** PKCS#1 v1.5 encryption is still allowed for the public operation; only private decryption is refused. */
function v15Recipient(contentKey: Buffer) {
  const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey);
  return recipient(OID.rsaEncryption, new asn1js.Null(), encryptedKey);
}

describe('unwrapContentKey', () => {
  it('PKCS#1 v1.5 with the right key yields the content key', () => {
    const contentKey = randomBytes(16);
    expect(unwrapContentKey(v15Recipient(contentKey), rightKey, secret, 16)).toEqual(contentKey);
  });

  it('PKCS#1 v1.5 with the wrong key rejects implicitly: a stable substitute key, no error', () => {
    const info = v15Recipient(randomBytes(16));
    const first = unwrapContentKey(info, wrongKey, secret, 16);
    expect(first).toHaveLength(16);
    expect(unwrapContentKey(info, wrongKey, secret, 16)).toEqual(first); // same envelope, same answer
    expect(unwrapContentKey(info, wrongKey, Buffer.alloc(32, 8), 16)).not.toEqual(first); // secret-bound
  });

  it('PKCS#1 v1.5 with a key of another length than the cipher needs rejects implicitly', () => {
    const contentKey = randomBytes(32);
    const out = unwrapContentKey(v15Recipient(contentKey), rightKey, secret, 16);
    expect(out).toHaveLength(16);
    expect(contentKey.includes(out)).toBe(false);
  });

  it('RSA-OAEP with absent parameters means SHA-1; the wrong key throws', () => {
    const contentKey = randomBytes(32);
    const encryptedKey = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      contentKey,
    );
    const info = recipient(OID.rsaesOaep, new asn1js.Sequence(), encryptedKey);
    expect(unwrapContentKey(info, rightKey, secret, 32)).toEqual(contentKey);
    expect(() => unwrapContentKey(info, wrongKey, secret, 32)).toThrow();
  });

  it('RSA-OAEP honours an explicit label (pSourceFunc)', () => {
    const contentKey = randomBytes(32);
    const label = Buffer.from('escrow');
    const encryptedKey = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      contentKey,
    );
    const sha256 = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.sha256 })] });
    const params = new asn1js.Sequence({
      value: [
        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [sha256] }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 1 },
          value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.mgf1 }), sha256] })],
        }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 2 },
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: OID.pSpecified }),
                new asn1js.OctetString({ valueHex: label }),
              ],
            }),
          ],
        }),
      ],
    });
    expect(unwrapContentKey(recipient(OID.rsaesOaep, params, encryptedKey), rightKey, secret, 32)).toEqual(
      contentKey,
    );
  });

  it('refuses a key transport algorithm it does not know', () => {
    const info = recipient('1.2.840.113549.1.1.10', new asn1js.Null(), randomBytes(384)); // RSASSA-PSS
    expect(() => unwrapContentKey(info, rightKey, secret, 32)).toThrow();
  });
});
