import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import {
  certificateIssuerAndSerial,
  explicit,
  implicitPrimitive,
  integerFromContent,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
} from './der.js';
import { OID } from './oids.js';
import { pemToDer } from './pem.js';

/**
 * Encrypts `plaintext` to the escrow certificate as a DER CMS EnvelopedData (RFC 5652): one
 * KeyTransRecipientInfo named by issuer and serial number, RSA-OAEP with SHA-256 and MGF1-SHA-256
 * (RFC 8017 / RFC 3560), AES-256-CBC content encryption (RFC 3565). `openssl cms -decrypt` reads it.
 *
 * The agent runs this, so it encodes with the small DER writer in der.ts and node:crypto only (no pkijs,
 * no WebCrypto: both would stay in the idle agent's memory).
 */
export async function encryptToCertificate(plaintext: Uint8Array, certificatePem: string): Promise<Buffer> {
  const publicKey = new X509Certificate(certificatePem).publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('escrow certificate must carry an RSA key');
  const { issuerDer, serialNumber } = certificateIssuerAndSerial(pemToDer(certificatePem, 'CERTIFICATE'));

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

  const keyTransRecipientInfo = sequence(
    smallInteger(0), // rid is issuerAndSerialNumber
    sequence(issuerDer, integerFromContent(serialNumber)),
    algorithmIdentifier(OID.rsaesOaep, oaepSha256Params()),
    octetString(encryptedKey),
  );
  const envelopedData = sequence(
    smallInteger(0), // no originatorInfo, no unprotectedAttrs, only v0 KeyTransRecipientInfo (RFC 5652 §6.1)
    set(keyTransRecipientInfo),
    sequence(
      objectIdentifier(OID.contentTypeData),
      algorithmIdentifier(OID.aes256Cbc, octetString(iv)),
      implicitPrimitive(0, encryptedContent), // [0] IMPLICIT OCTET STRING, in one piece (DER)
    ),
  );
  return sequence(objectIdentifier(OID.contentTypeEnvelopedData), explicit(0, envelopedData));
}

function algorithmIdentifier(oid: string, params: Uint8Array): Buffer {
  return sequence(objectIdentifier(oid), params);
}

/** RSAES-OAEP-params with SHA-256 for both the OAEP hash and MGF1; the label stays the default (empty). */
function oaepSha256Params(): Buffer {
  const sha256 = algorithmIdentifier(OID.sha256, nullValue());
  return sequence(explicit(0, sha256), explicit(1, algorithmIdentifier(OID.mgf1, sha256)));
}
