import { createDecipheriv, createHash, createPrivateKey } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { keyTransportRecipients, parseEnvelope } from './envelope-parse.js';
import { EnvelopeError } from './errors.js';
import type { EscrowKeyPair } from './escrow-certificate.js';
import { unwrapContentKey } from './key-transport.js';
import { CONTENT_CIPHER_BY_OID, type ContentCipher, OID } from './oids.js';
import { pemToDer } from './pem.js';

/**
 * Decrypts a DER CMS EnvelopedData with whichever escrow key its recipient names (issuer + serial number, or
 * subject key identifier), so envelopes to rotated-out certificates still open. Key transport: RSA-OAEP
 * (any SHA-1/SHA-2 hash) and PKCS#1 v1.5; content: AES-128/192/256-CBC and 3DES-CBC.
 *
 * Every failure, whatever its cause, is the same EnvelopeError. A wrong key under PKCS#1 v1.5 may, rarely
 * (about 1 in 256), yield garbage instead of an error — callers must check the plaintext's shape
 * (plaintext-shapes.ts) and treat a mismatch exactly like an EnvelopeError.
 */
export async function decryptEnvelope(der: Uint8Array, keys: readonly EscrowKeyPair[]): Promise<Buffer> {
  try {
    return decryptOrThrow(der, keys);
  } catch {
    throw new EnvelopeError();
  }
}

function decryptOrThrow(der: Uint8Array, keys: readonly EscrowKeyPair[]): Buffer {
  const enveloped = parseEnvelope(der);
  const { cipher, iv } = contentCipherOf(enveloped.encryptedContentInfo.contentEncryptionAlgorithm);
  const match = findRecipient(keyTransportRecipients(enveloped), keys);
  if (!match) throw new Error('no key for any recipient');

  const privateKey = createPrivateKey(match.key.privateKeyPem);
  const rejectionSecret = implicitRejectionSecret(match.key.privateKeyPem);
  const contentKey = unwrapContentKey(match.recipient, privateKey, rejectionSecret, cipher.keyLength);
  rejectionSecret.fill(0);
  try {
    const decipher = createDecipheriv(cipher.nodeName, contentKey, iv);
    const encrypted = Buffer.from(enveloped.encryptedContentInfo.getEncryptedContent());
    const head = decipher.update(encrypted);
    try {
      return Buffer.concat([head, decipher.final()]);
    } finally {
      head.fill(0);
    }
  } finally {
    contentKey.fill(0);
  }
}

function contentCipherOf(algorithm: pkijs.AlgorithmIdentifier): { cipher: ContentCipher; iv: Buffer } {
  const cipher = CONTENT_CIPHER_BY_OID.get(algorithm.algorithmId);
  const params: unknown = algorithm.algorithmParams;
  if (!cipher || !(params instanceof asn1js.OctetString)) throw new Error('unsupported content cipher');
  const iv = Buffer.from(params.valueBlock.valueHexView);
  if (iv.length !== cipher.ivLength) throw new Error('bad IV');
  return { cipher, iv };
}

function findRecipient(
  recipients: readonly pkijs.KeyTransRecipientInfo[],
  keys: readonly EscrowKeyPair[],
): { recipient: pkijs.KeyTransRecipientInfo; key: EscrowKeyPair } | undefined {
  const candidates = keys.map((key) => ({
    key,
    certificate: pkijs.Certificate.fromBER(pemToDer(key.certificatePem, 'CERTIFICATE')),
  }));
  for (const recipient of recipients) {
    const found = candidates.find(({ certificate }) => namesCertificate(recipient.rid, certificate));
    if (found) return { recipient, key: found.key };
  }
  return undefined;
}

/** RecipientIdentifier match, byte for byte as OpenSSL and Go's pkcs7 compare them. */
function namesCertificate(rid: pkijs.KeyTransRecipientInfo['rid'], certificate: pkijs.Certificate): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      Buffer.from(rid.issuer.valueBeforeDecode).equals(Buffer.from(certificate.issuer.valueBeforeDecode)) &&
      Buffer.from(rid.serialNumber.valueBlock.valueHexView).equals(
        Buffer.from(certificate.serialNumber.valueBlock.valueHexView),
      )
    );
  }
  const keyId = subjectKeyIdentifier(certificate);
  return keyId !== undefined && Buffer.from(rid.valueBlock.valueHexView).equals(keyId);
}

function subjectKeyIdentifier(certificate: pkijs.Certificate): Buffer | undefined {
  const extension = certificate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const parsed: unknown = extension?.parsedValue;
  return parsed instanceof asn1js.OctetString ? Buffer.from(parsed.valueBlock.valueHexView) : undefined;
}

/** Per-key secret for implicit rejection: unknowable without the private key, stable across calls. */
function implicitRejectionSecret(privateKeyPem: string): Buffer {
  return createHash('sha256')
    .update('escrow-desktop cms implicit rejection\0')
    .update(privateKeyPem)
    .digest();
}
