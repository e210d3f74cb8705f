import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from './oids.js';
import { pemToDer } from './pem.js';

/**
 * Encrypts `plaintext` to the escrow certificate as a DER CMS EnvelopedData (RFC 5652): one
 * KeyTransRecipientInfo named by issuer and serial number, RSA-OAEP with SHA-256 and MGF1-SHA-256
 * (RFC 8017 / RFC 3560), AES-256-CBC content encryption (RFC 3565). `openssl cms -decrypt` reads it.
 */
export async function encryptToCertificate(plaintext: Uint8Array, certificatePem: string): Promise<Buffer> {
  const publicKey = new X509Certificate(certificatePem).publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('escrow certificate must carry an RSA key');
  const certificate = pkijs.Certificate.fromBER(pemToDer(certificatePem, 'CERTIFICATE'));

  const contentKey = randomBytes(32);
  const iv = randomBytes(16);
  let encryptedContent: Buffer;
  let encryptedKey: Buffer;
  try {
    const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
    encryptedContent = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    encryptedKey = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      contentKey,
    );
  } finally {
    contentKey.fill(0);
  }

  const recipient = new pkijs.KeyTransRecipientInfo({
    version: 0, // rid is issuerAndSerialNumber
    rid: new pkijs.IssuerAndSerialNumber({
      issuer: certificate.issuer,
      serialNumber: certificate.serialNumber,
    }),
    keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.rsaesOaep,
      algorithmParams: oaepSha256Params(),
    }),
    encryptedKey: new asn1js.OctetString({ valueHex: encryptedKey }),
  });
  const enveloped = new pkijs.EnvelopedData({
    version: 0, // no originatorInfo, no unprotectedAttrs, only v0 KeyTransRecipientInfo (RFC 5652 §6.1)
    recipientInfos: [new pkijs.RecipientInfo({ variant: 1, value: recipient })],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.contentTypeData,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: OID.aes256Cbc,
        algorithmParams: new asn1js.OctetString({ valueHex: iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: encryptedContent }),
      disableSplit: true, // pkijs would otherwise chunk into an indefinite-length (BER) string; we emit DER
    }),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.contentTypeEnvelopedData,
    content: enveloped.toSchema(),
  });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

/** RSAES-OAEP-params with SHA-256 for both the OAEP hash and MGF1; the label stays the default (empty). */
function oaepSha256Params(): asn1js.Sequence {
  const sha256 = () =>
    new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.sha256 }), new asn1js.Null()] });
  return new asn1js.Sequence({
    value: [
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [sha256()] }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 1 },
        value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.mgf1 }), sha256()] })],
      }),
    ],
  });
}
