import { createDecipheriv, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { type AlgorithmId, parseEnvelope } from './envelope-parse.js';
import { EnvelopeError } from './errors.js';
import type { EscrowKeyPair } from './escrow-certificate.js';
import { unwrapContentKey } from './key-transport.js';
import { CONTENT_CIPHER_BY_OID, type ContentCipher } from './oids.js';
import { findRecipient } from './recipient-match.js';

/**
 * Decrypts a DER (or BER) CMS EnvelopedData with whichever escrow key its recipient names (issuer + serial
 * number, or subject key identifier), so envelopes to rotated-out certificates still open. Key transport:
 * RSA-OAEP (SHA-1/SHA-2, MGF1 with the same hash) and PKCS#1 v1.5; content: AES-128/192/256-CBC, 3DES-CBC.
 *
 * Every failure, whatever its cause, is the same EnvelopeError. Under PKCS#1 v1.5 a wrong key (or a forged
 * encrypted key) yields, about once in 256, garbage instead of an error — that is the price of implicit
 * rejection, so callers must check the plaintext's shape (plaintext-shapes.ts) and treat a mismatch exactly
 * like an EnvelopeError.
 */
export async function decryptEnvelope(der: Uint8Array, keys: readonly EscrowKeyPair[]): Promise<Buffer> {
  try {
    return decryptOrThrow(der, keys);
  } catch {
    throw new EnvelopeError();
  }
}

function decryptOrThrow(der: Uint8Array, keys: readonly EscrowKeyPair[]): Buffer {
  const envelope = parseEnvelope(der);
  const { cipher, iv } = contentCipherOf(envelope.contentEncryptionAlgorithm);
  const match = findRecipient(envelope.recipients, keys);
  if (!match) throw new Error('no key for any recipient');

  const { privateKey, rejectionSecret } = loadedKey(match.key.privateKeyPem);
  const contentKey = unwrapContentKey(match.recipient, privateKey, rejectionSecret, cipher.keyLength);
  try {
    const decipher = createDecipheriv(cipher.nodeName, contentKey, iv);
    const head = decipher.update(envelope.encryptedContent);
    try {
      return Buffer.concat([head, decipher.final()]);
    } finally {
      head.fill(0);
    }
  } finally {
    contentKey.fill(0);
  }
}

function contentCipherOf(algorithm: AlgorithmId): { cipher: ContentCipher; iv: Buffer } {
  const cipher = CONTENT_CIPHER_BY_OID.get(algorithm.oid);
  if (!cipher || !(algorithm.params instanceof asn1js.OctetString))
    throw new Error('unsupported content cipher');
  const iv = Buffer.from(algorithm.params.valueBlock.valueHexView);
  if (iv.length !== cipher.ivLength) throw new Error('bad IV');
  return { cipher, iv };
}

/**
 * Parsing a PEM private key costs about as much as the RSA operation itself, and the server decrypts
 * thousands of envelopes with the same few escrow keys (the hourly verification job), so each key is parsed
 * once. Bounded: escrow keys are few; anything beyond that is evicted oldest first.
 */
const MAX_LOADED_KEYS = 16;
const loadedKeys = new Map<string, { privateKey: KeyObject; rejectionSecret: Buffer }>();

function loadedKey(privateKeyPem: string): { privateKey: KeyObject; rejectionSecret: Buffer } {
  let loaded = loadedKeys.get(privateKeyPem);
  if (!loaded) {
    loaded = {
      privateKey: createPrivateKey(privateKeyPem),
      rejectionSecret: implicitRejectionSecret(privateKeyPem),
    };
    if (loadedKeys.size >= MAX_LOADED_KEYS) loadedKeys.delete(loadedKeys.keys().next().value as string);
    loadedKeys.set(privateKeyPem, loaded);
  }
  return loaded;
}

/** Per-key secret for implicit rejection: unknowable without the private key, stable across calls. */
function implicitRejectionSecret(privateKeyPem: string): Buffer {
  return createHash('sha256')
    .update('escrow-desktop cms implicit rejection\0')
    .update(privateKeyPem)
    .digest();
}
