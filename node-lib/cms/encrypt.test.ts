import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptToCertificate } from './encrypt.js';
import { createEscrowCertificate, type EscrowKeyPair } from './escrow-certificate.js';
import { OID } from './oids.js';
import { pemToDer } from './pem.js';

/**
 * The envelope pkijs builds from the same values: the certificate's issuer and serial, and the encrypted
 * key, IV and content taken from `envelope`. This is how the agent encoded envelopes before it had its own
 * DER writer, so equal bytes mean the server, openssl and macOS tooling see exactly what they saw before.
 */
function pkijsEncoding(envelope: Buffer, certificatePem: string): Buffer {
  const parsed = new pkijs.EnvelopedData({
    schema: pkijs.ContentInfo.fromBER(envelope).content,
  });
  const recipient = parsed.recipientInfos[0]?.value as pkijs.KeyTransRecipientInfo;
  const eci = parsed.encryptedContentInfo;
  const certificate = pkijs.Certificate.fromBER(pemToDer(certificatePem, 'CERTIFICATE'));
  const sha256 = () =>
    new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.sha256 }), new asn1js.Null()] });
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({
            issuer: certificate.issuer,
            serialNumber: certificate.serialNumber,
          }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: OID.rsaesOaep,
            algorithmParams: new asn1js.Sequence({
              value: [
                new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [sha256()] }),
                new asn1js.Constructed({
                  idBlock: { tagClass: 3, tagNumber: 1 },
                  value: [
                    new asn1js.Sequence({
                      value: [new asn1js.ObjectIdentifier({ value: OID.mgf1 }), sha256()],
                    }),
                  ],
                }),
              ],
            }),
          }),
          encryptedKey: new asn1js.OctetString({ valueHex: recipient.encryptedKey.valueBlock.valueHexView }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.contentTypeData,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: OID.aes256Cbc,
        algorithmParams: new asn1js.OctetString({
          valueHex: (eci.contentEncryptionAlgorithm.algorithmParams as asn1js.OctetString).valueBlock
            .valueHexView,
        }),
      }),
      encryptedContent: new asn1js.OctetString({
        valueHex: eci.encryptedContent?.valueBlock.valueHexView ?? new Uint8Array(0),
      }),
      disableSplit: true,
    }),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.contentTypeEnvelopedData,
    content: enveloped.toSchema(),
  });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

describe('encryptToCertificate encoding', () => {
  let pair: EscrowKeyPair;

  beforeAll(async () => {
    pair = await createEscrowCertificate();
  });

  it.each([0, 1, 16, 63, 200, 5000])('is byte for byte what pkijs encodes (%i-byte plaintext)', async (n) => {
    const envelope = await encryptToCertificate(Buffer.alloc(n, 0x5a), pair.certificatePem);
    expect(envelope.toString('hex')).toBe(pkijsEncoding(envelope, pair.certificatePem).toString('hex'));
  });

  it('refuses a certificate without an RSA key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escrow-ec-'));
    try {
      // biome-ignore format: one option per line reads best
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-subj', '/CN=ec', '-days', '1', '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      const ecCertificate = readFileSync(join(dir, 'cert.pem'), 'utf8');
      await expect(encryptToCertificate(Buffer.from('x'), ecCertificate)).rejects.toThrow(/RSA/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
