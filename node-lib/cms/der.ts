/**
 * The little DER (X.690 Distinguished Encoding Rules) the agent needs to write a CMS envelope: read the
 * issuer and serial number out of a DER certificate, and write definite-length SEQUENCE, SET, INTEGER,
 * OBJECT IDENTIFIER, OCTET STRING, NULL and context-tagged values.
 *
 * Written for the agent rather than taken from pkijs/asn1js: those two libraries are about 550 KB of
 * JavaScript that a long-running agent would keep in memory for its whole life to encode one small
 * structure (issue 5: idle agent ≤ 60 MB). The server keeps pkijs for decryption and certificates.
 * Only the low-tag-number form (tag numbers below 31) and definite lengths are supported: that is all DER
 * certificates and our envelope use. Anything else is rejected, never guessed at.
 */

/** One encoded value: where it sits in `bytes`. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  sequence: 0x30,
  set: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;
/** Larger values are not in a certificate or envelope of ours; refusing them keeps offsets exact numbers. */
const MAX_LENGTH_OCTETS = 4;

/** Reads the value starting at `offset`; throws if it is not complete within `limit`. */
export function readTlv(bytes: Uint8Array, offset = 0, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new Error('DER: value truncated');
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: high tag numbers are not supported');
  const first = bytes[offset + 1] as number;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new Error('DER: indefinite length is not DER');
    if (count > MAX_LENGTH_OCTETS) throw new Error('DER: length too large');
    if (contentStart + count > limit) throw new Error('DER: value truncated');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[contentStart + i] as number);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('DER: value truncated');
  return { tag, start: offset, contentStart, end };
}

/** The values inside a constructed value, in order. */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] {
  if (!(parent.tag & CONSTRUCTED)) throw new Error('DER: not a constructed value');
  const children: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/**
 * The issuer Name (its whole DER encoding) and the serial number (the INTEGER's content octets) of a DER
 * X.509 certificate (RFC 5280 §4.1): what a CMS recipient identifier names.
 */
export function certificateIssuerAndSerial(certificateDer: Uint8Array): {
  issuerDer: Buffer;
  serialNumber: Buffer;
} {
  const certificate = readTlv(certificateDer);
  if (certificate.tag !== TAG.sequence || certificate.end !== certificateDer.length) {
    throw new Error('DER: not a certificate');
  }
  const [tbs] = readChildren(certificateDer, certificate);
  if (tbs?.tag !== TAG.sequence) throw new Error('DER: certificate has no tbsCertificate');
  const fields = readChildren(certificateDer, tbs);
  // [0] EXPLICIT version is absent in v1 certificates
  const first = fields[0]?.tag === (CONTEXT | CONSTRUCTED | 0) ? 1 : 0;
  const serial = fields[first];
  const signature = fields[first + 1];
  const issuer = fields[first + 2];
  if (serial?.tag !== TAG.integer || signature?.tag !== TAG.sequence || issuer?.tag !== TAG.sequence) {
    throw new Error('DER: unexpected tbsCertificate layout');
  }
  const slice = (t: Tlv, from: number) => Buffer.from(certificateDer.subarray(from, t.end));
  return { issuerDer: slice(issuer, issuer.start), serialNumber: slice(serial, serial.contentStart) };
}

/** Encodes one value: identifier octet, definite length, content. */
export function encodeTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

export const sequence = (...items: Uint8Array[]) => encodeTlv(TAG.sequence, Buffer.concat(items));
/** A SET OF: DER puts the elements in the order of their encodings (X.690 §11.6). */
export const set = (...items: Uint8Array[]) => {
  const sorted = [...items].sort((a, b) => Buffer.compare(a, b));
  return encodeTlv(TAG.set, Buffer.concat(sorted));
};
export const octetString = (bytes: Uint8Array) => encodeTlv(TAG.octetString, bytes);
export const nullValue = () => encodeTlv(TAG.null, new Uint8Array(0));
/** [n] EXPLICIT: a constructed context-specific wrapper around complete values. */
export const explicit = (tagNumber: number, ...items: Uint8Array[]) =>
  encodeTlv(CONTEXT | CONSTRUCTED | tagNumber, Buffer.concat(items));
/** [n] IMPLICIT over a primitive type: the content octets under a context-specific primitive tag. */
export const implicitPrimitive = (tagNumber: number, content: Uint8Array) =>
  encodeTlv(CONTEXT | tagNumber, content);

/** A small non-negative INTEGER (versions). */
export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 127) throw new Error('DER: small integers only');
  return encodeTlv(TAG.integer, Buffer.from([value]));
}

/** An INTEGER from content octets already in minimal two's-complement form (a certificate's serial). */
export const integerFromContent = (content: Uint8Array) => encodeTlv(TAG.integer, content);

/** An OBJECT IDENTIFIER from dotted decimal (X.690 §8.19). */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new Error(`DER: bad object identifier ${dotted}`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2 || (first < 2 && second > 39)) {
    throw new Error(`DER: bad object identifier ${dotted}`);
  }
  const octets: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    if (!Number.isSafeInteger(arc)) throw new Error(`DER: bad object identifier ${dotted}`);
    const base128: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v % 128));
    octets.push(...base128);
  }
  return encodeTlv(TAG.objectIdentifier, Buffer.from(octets));
}
