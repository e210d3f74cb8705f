import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import * as pkijs from 'pkijs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  certificateIssuerAndSerial,
  encodeTlv,
  explicit,
  implicitPrimitive,
  nullValue,
  objectIdentifier,
  octetString,
  readChildren,
  readTlv,
  sequence,
  set,
  smallInteger,
} from './der.js';
import { createEscrowCertificate } from './escrow-certificate.js';
import { OID } from './oids.js';
import { pemToDer } from './pem.js';

/** asn1js (what the server parses with) encodes the same value: the reference for our writer. */
const reference = (value: asn1js.AsnType) => Buffer.from(value.toBER(false));

describe('DER writer', () => {
  it('encodes every OID we use, and large arcs, as asn1js does', () => {
    for (const oid of [...Object.values(OID), '2.999.3', '1.2.840.113549', '2.5.29.9007199254740991']) {
      expect(objectIdentifier(oid).toString('hex'), oid).toBe(
        reference(new asn1js.ObjectIdentifier({ value: oid })).toString('hex'),
      );
    }
  });

  it('rejects malformed OIDs', () => {
    for (const oid of ['', '1', '3.1', '1.40', '1.2.x', '1..2', '1.2.9007199254740993'])
      expect(() => objectIdentifier(oid), oid).toThrow(/object identifier/);
  });

  it('writes short and long definite lengths as asn1js does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (length) => {
        const content = new Uint8Array(length).fill(0xab);
        expect(octetString(content).equals(reference(new asn1js.OctetString({ valueHex: content })))).toBe(
          true,
        );
      }),
      { numRuns: 200 },
    );
    expect(encodeTlv(0x04, new Uint8Array(127)).subarray(0, 2).toString('hex')).toBe('047f');
    expect(encodeTlv(0x04, new Uint8Array(128)).subarray(0, 3).toString('hex')).toBe('048180');
    expect(encodeTlv(0x04, new Uint8Array(256)).subarray(0, 4).toString('hex')).toBe('04820100');
  });

  it('writes NULL, small INTEGERs, SEQUENCE, SET and context tags as asn1js does', () => {
    const oid = () => new asn1js.ObjectIdentifier({ value: OID.sha256 });
    expect(nullValue().equals(reference(new asn1js.Null()))).toBe(true);
    expect(smallInteger(0).equals(reference(new asn1js.Integer({ value: 0 })))).toBe(true);
    expect(smallInteger(127).equals(reference(new asn1js.Integer({ value: 127 })))).toBe(true);
    expect(() => smallInteger(128)).toThrow();
    expect(
      sequence(objectIdentifier(OID.sha256), nullValue()).equals(
        reference(new asn1js.Sequence({ value: [oid(), new asn1js.Null()] })),
      ),
    ).toBe(true);
    expect(set(nullValue()).equals(reference(new asn1js.Set({ value: [new asn1js.Null()] })))).toBe(true);
    expect(
      explicit(1, nullValue()).equals(
        reference(
          new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.Null()] }),
        ),
      ),
    ).toBe(true);
    expect(
      implicitPrimitive(0, Buffer.from('abc')).equals(
        reference(
          new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: Buffer.from('abc') }),
        ),
      ),
    ).toBe(true);
  });

  it('orders SET OF elements by their encodings', () => {
    expect(set(nullValue(), octetString(Buffer.from([2]))).toString('hex')).toBe('31050401020500');
  });
});

describe('DER reader', () => {
  it('reads back what the writer wrote, nested', () => {
    const bytes = sequence(smallInteger(0), sequence(octetString(new Uint8Array(300)), nullValue()));
    const outer = readTlv(bytes);
    expect(outer).toEqual({ tag: 0x30, start: 0, contentStart: 4, end: bytes.length });
    const [version, inner] = readChildren(bytes, outer);
    expect(version).toMatchObject({ tag: 0x02, end: 7 });
    expect(readChildren(bytes, inner as NonNullable<typeof inner>).map((c) => c.tag)).toEqual([0x04, 0x05]);
  });

  it('rejects truncated values, indefinite lengths, high tag numbers and primitive parents', () => {
    const bytes = sequence(octetString(new Uint8Array(200)));
    expect(() => readTlv(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => readTlv(bytes.subarray(0, 3))).toThrow(/truncated/);
    expect(() => readTlv(new Uint8Array([0x30]))).toThrow(/truncated/);
    expect(() => readTlv(Buffer.from('30800000', 'hex'))).toThrow(/indefinite/);
    expect(() => readTlv(Buffer.from('1f0100', 'hex'))).toThrow(/high tag/);
    expect(() => readTlv(Buffer.from('0485ffffffffff', 'hex'))).toThrow(/too large/);
    expect(() => readChildren(bytes, readTlv(nullValue()))).toThrow(/constructed/);
    // a child running past its parent's end
    expect(() =>
      readChildren(Buffer.from('3003040500', 'hex'), readTlv(Buffer.from('3003040500', 'hex'))),
    ).toThrow(/truncated/);
  });
});

describe('certificateIssuerAndSerial', () => {
  const dir = mkdtempSync(join(tmpdir(), 'escrow-der-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A certificate made by the openssl CLI, with the serial and subject given. */
  function opensslCertificate(serial: string, subject: string): string {
    const cert = join(dir, `${serial}.pem`);
    // biome-ignore format: one option per line reads best
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${serial}.key`),
      '-subj', subject, '-set_serial', serial, '-days', '1', '-out', cert,
    ], { stdio: 'ignore' });
    return readFileSync(cert, 'utf8');
  }

  it('finds the same issuer and serial as pkijs, for ours, openssl and the recorded fixture', async () => {
    const certificates = [
      (await createEscrowCertificate()).certificatePem,
      readFileSync(join(import.meta.dirname, './fixtures/recipient-cert.pem'), 'utf8'),
      // serials whose first octet has the high bit set (a 0x00 octet is prepended) and a one-octet one
      opensslCertificate('0x80aabbccddeeff00112233', '/CN=Escrow Test/O=Exämple Ørg/C=DE'),
      opensslCertificate('7', '/CN=short serial'),
    ];
    for (const pem of certificates) {
      const reference = pkijs.Certificate.fromBER(pemToDer(pem, 'CERTIFICATE'));
      expect(certificateIssuerAndSerial(pemToDer(pem, 'CERTIFICATE'))).toEqual({
        issuerDer: Buffer.from(reference.issuer.valueBeforeDecode),
        serialNumber: Buffer.from(reference.serialNumber.valueBlock.valueHexView),
      });
    }
  });

  it('rejects what is not a certificate', () => {
    expect(() => certificateIssuerAndSerial(new Uint8Array(0))).toThrow();
    expect(() => certificateIssuerAndSerial(sequence(nullValue()))).toThrow(/tbsCertificate/);
    expect(() => certificateIssuerAndSerial(sequence(sequence(nullValue())))).toThrow(/layout/);
    expect(() => certificateIssuerAndSerial(Buffer.concat([sequence(), nullValue()]))).toThrow(/certificate/);
  });
});
