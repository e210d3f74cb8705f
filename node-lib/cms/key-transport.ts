import { constants, createHmac, type KeyObject, privateDecrypt } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { AlgorithmId, KeyTransRecipient } from './envelope-parse.js';
import { OAEP_HASH_BY_OID, OID } from './oids.js';
import { unpadPkcs1v15KeyTransport } from './pkcs1-v15.js';

/** What the KeyTransRecipientInfo's keyEncryptionAlgorithm asks for. */
type KeyTransport = { kind: 'pkcs1v15' } | { kind: 'oaep'; hash: string; label: Buffer | undefined };

/**
 * Recovers the content key from a KeyTransRecipientInfo with the recipient's private key.
 *
 * PKCS#1 v1.5 never fails here: bad padding (or a key of the wrong length) yields a pseudo-random key
 * derived from the private key and the encrypted key (implicit rejection), so the caller's content
 * decryption fails exactly like it does for a well-padded wrong key — no Bleichenbacher/Marvin oracle.
 * Deriving it rather than drawing fresh random bytes means the same envelope always behaves the same, so
 * resubmitting it tells an attacker nothing new. RSA-OAEP needs no such care and throws on failure.
 */
export function unwrapContentKey(
  recipient: KeyTransRecipient,
  privateKey: KeyObject,
  rejectionSecret: Uint8Array,
  keyLength: number,
): Buffer {
  const transport = keyTransportOf(recipient.keyEncryptionAlgorithm);
  const { encryptedKey } = recipient;
  return transport.kind === 'pkcs1v15'
    ? unwrapPkcs1v15(privateKey, encryptedKey, rejectionSecret, keyLength)
    : unwrapOaep(transport, privateKey, encryptedKey, keyLength);
}

function unwrapPkcs1v15(
  privateKey: KeyObject,
  encryptedKey: Buffer,
  rejectionSecret: Uint8Array,
  keyLength: number,
): Buffer {
  const digest = createHmac('sha512', rejectionSecret).update(encryptedKey).digest();
  const fallback = digest.subarray(0, keyLength);
  let block: Buffer | undefined;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey);
    return unpadPkcs1v15KeyTransport(block, keyLength, fallback);
  } catch {
    // Only a ciphertext of the wrong size or >= modulus gets here: public facts, but keep one outcome anyway.
    return Buffer.from(fallback);
  } finally {
    block?.fill(0);
    digest.fill(0);
  }
}

/**
 * OAEP is secure against chosen ciphertexts even with an explicit validity answer (and OpenSSL checks it in
 * constant time), so a failure here throws; the caller turns it into the one generic error.
 */
function unwrapOaep(
  transport: Extract<KeyTransport, { kind: 'oaep' }>,
  privateKey: KeyObject,
  encryptedKey: Buffer,
  keyLength: number,
): Buffer {
  const contentKey = privateDecrypt(
    {
      key: privateKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: transport.hash,
      oaepLabel: transport.label,
    },
    encryptedKey,
  );
  if (contentKey.length === keyLength) return contentKey;
  contentKey.fill(0);
  throw new Error('content key has the wrong length');
}

function keyTransportOf(algorithm: AlgorithmId): KeyTransport {
  if (algorithm.oid === OID.rsaEncryption) return { kind: 'pkcs1v15' };
  if (algorithm.oid === OID.rsaesOaep) return oaepParameters(algorithm.params);
  throw new Error('unsupported key transport algorithm');
}

/**
 * RSAES-OAEP-params (RFC 8017 A.2.1): every field optional, defaults SHA-1 / MGF1-SHA-1 / empty label.
 * Read by hand because the field defaults matter and Node ties the MGF1 hash to the OAEP hash.
 */
function oaepParameters(params: unknown): KeyTransport {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let label: Buffer | undefined;
  const fields = params instanceof asn1js.Sequence ? params.valueBlock.value : [];
  for (const field of fields) {
    const inner = field instanceof asn1js.Constructed ? field.valueBlock.value[0] : undefined;
    const algorithm = inner ? algorithmIdentifier(inner) : undefined;
    if (!algorithm) throw new Error('malformed RSAES-OAEP-params');
    switch (field.idBlock.tagNumber) {
      case 0:
        hash = hashName(algorithm.oid);
        break;
      case 1: {
        const mgfDigest = algorithm.params ? algorithmIdentifier(algorithm.params) : undefined;
        if (algorithm.oid !== OID.mgf1 || !mgfDigest) throw new Error('unsupported mask generation function');
        mgfHash = hashName(mgfDigest.oid);
        break;
      }
      case 2:
        if (algorithm.oid !== OID.pSpecified || !(algorithm.params instanceof asn1js.OctetString)) {
          throw new Error('unsupported OAEP label source');
        }
        label = Buffer.from(algorithm.params.valueBlock.valueHexView);
        break;
      default:
        throw new Error('malformed RSAES-OAEP-params');
    }
  }
  if (hash !== mgfHash) throw new Error('OAEP hash and MGF1 hash differ');
  return { kind: 'oaep', hash, label: label && label.length > 0 ? label : undefined };
}

function algorithmIdentifier(
  node: asn1js.AsnType,
): { oid: string; params: asn1js.AsnType | undefined } | undefined {
  if (!(node instanceof asn1js.Sequence)) return undefined;
  const [oid, params] = node.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) return undefined;
  return { oid: oid.valueBlock.toString(), params };
}

function hashName(oid: string): string {
  const name = OAEP_HASH_BY_OID.get(oid);
  if (!name) throw new Error('unsupported OAEP hash');
  return name;
}
