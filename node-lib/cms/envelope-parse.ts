import * as asn1js from 'asn1js';
import { OID } from './oids.js';

/** How a KeyTransRecipientInfo names its certificate (RFC 5652 §6.2.1 RecipientIdentifier). */
export type RecipientId =
  | { kind: 'issuerAndSerial'; issuerDer: Buffer; serialNumber: Buffer }
  | { kind: 'subjectKeyId'; keyId: Buffer };

export interface KeyTransRecipient {
  rid: RecipientId;
  keyEncryptionAlgorithm: AlgorithmId;
  encryptedKey: Buffer;
}

export interface AlgorithmId {
  oid: string;
  params: asn1js.AsnType | undefined;
}

export interface ParsedEnvelope {
  /** Only the key-transport recipients; other RecipientInfo kinds cannot use an escrow key. */
  recipients: KeyTransRecipient[];
  contentEncryptionAlgorithm: AlgorithmId;
  encryptedContent: Buffer;
}

/**
 * Parses DER/BER bytes as ContentInfo(EnvelopedData) with at least one key-transport recipient and attached
 * encrypted content; throws (reasons for internal use only) otherwise.
 *
 * Walked by hand over asn1js nodes rather than through pkijs schema matching: this runs for every envelope
 * the server receives or re-verifies, and pkijs's matching costs about 3.5 ms an envelope, more than the
 * RSA operation itself.
 */
export function parseEnvelope(der: Uint8Array): ParsedEnvelope {
  const asn1 = asn1js.fromBER(der);
  // A truncated or over-long file is not the envelope macOS or the agent wrote, even if a prefix parses.
  if (asn1.offset !== der.byteLength) throw new Error('not a single complete ASN.1 value');
  const [contentType, content] = children(asn1.result, 'ContentInfo');
  if (oidOf(contentType) !== OID.contentTypeEnvelopedData) throw new Error('not EnvelopedData');
  const [envelopedData] = children(contextTagged(content, 0), 'content');
  const fields = children(envelopedData, 'EnvelopedData');

  // version, [0] originatorInfo?, recipientInfos SET, encryptedContentInfo, [1] unprotectedAttrs?
  let index = 1;
  if (isContextTagged(fields[index], 0)) index++;
  const recipientInfos = fields[index];
  const encryptedContentInfo = fields[index + 1];
  if (!(recipientInfos instanceof asn1js.Set)) throw new Error('recipientInfos missing');

  const recipients = recipientInfos.valueBlock.value
    .filter((info) => info instanceof asn1js.Sequence) // ktri is the untagged CHOICE alternative
    .map(keyTransRecipient);
  if (recipients.length === 0) throw new Error('no key-transport recipient');

  const [, algorithm, encrypted] = children(encryptedContentInfo, 'EncryptedContentInfo');
  if (!encrypted || !isContextTagged(encrypted, 0)) throw new Error('content is detached');
  return {
    recipients,
    contentEncryptionAlgorithm: algorithmId(algorithm),
    encryptedContent: octets(encrypted),
  };
}

/**
 * Structural check without any key: ContentInfo/EnvelopedData with at least one KeyTransRecipientInfo and
 * encrypted content. The macOS agent uses it to vet /var/db/FileVaultPRK.dat before uploading.
 */
export function isWellFormedEnvelope(der: Uint8Array): boolean {
  try {
    parseEnvelope(der);
    return true;
  } catch {
    return false;
  }
}

function keyTransRecipient(node: asn1js.AsnType): KeyTransRecipient {
  const [, rid, algorithm, encryptedKey] = children(node, 'KeyTransRecipientInfo');
  if (!(encryptedKey instanceof asn1js.OctetString)) throw new Error('encryptedKey missing');
  return {
    rid: recipientId(rid),
    keyEncryptionAlgorithm: algorithmId(algorithm),
    encryptedKey: Buffer.from(encryptedKey.valueBlock.valueHexView),
  };
}

function recipientId(node: asn1js.AsnType | undefined): RecipientId {
  if (isContextTagged(node, 0)) return { kind: 'subjectKeyId', keyId: octets(node) };
  const [issuer, serial] = children(node, 'IssuerAndSerialNumber');
  if (!(issuer instanceof asn1js.Sequence) || !(serial instanceof asn1js.Integer)) throw new Error('bad rid');
  return {
    kind: 'issuerAndSerial',
    issuerDer: Buffer.from(issuer.valueBeforeDecodeView),
    serialNumber: Buffer.from(serial.valueBlock.valueHexView),
  };
}

function algorithmId(node: asn1js.AsnType | undefined): AlgorithmId {
  const [oid, params] = children(node, 'AlgorithmIdentifier');
  return { oid: oidOf(oid), params };
}

function children(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Constructed)) throw new Error(`${what} is not constructed`);
  return node.valueBlock.value;
}

function oidOf(node: asn1js.AsnType | undefined): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw new Error('OBJECT IDENTIFIER expected');
  return node.valueBlock.toString();
}

function isContextTagged(node: asn1js.AsnType | undefined, tagNumber: number): node is asn1js.AsnType {
  return node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === tagNumber;
}

function contextTagged(node: asn1js.AsnType | undefined, tagNumber: number): asn1js.AsnType {
  if (!isContextTagged(node, tagNumber)) throw new Error(`[${tagNumber}] expected`);
  return node;
}

/** Content octets of an (implicitly tagged) OCTET STRING, primitive or BER-constructed from chunks. */
function octets(node: asn1js.AsnType): Buffer {
  const block = node.valueBlock as { value?: unknown; valueHexView?: unknown };
  if (node.idBlock.isConstructed) {
    if (!Array.isArray(block.value)) throw new Error('constructed OCTET STRING expected');
    return Buffer.concat(block.value.map((chunk: asn1js.AsnType) => octets(chunk)));
  }
  if (!(block.valueHexView instanceof Uint8Array)) throw new Error('OCTET STRING expected');
  return Buffer.from(block.valueHexView);
}
