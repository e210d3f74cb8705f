import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateFingerprint,
  createEscrowCertificate,
  type EscrowKeyPair,
  readIssuerAndSerial,
} from './escrow-certificate.js';
import { OpenSslCms } from './test-support/openssl-cli.js';

describe('createEscrowCertificate', () => {
  const openssl = new OpenSslCms();
  let pair: EscrowKeyPair;
  let second: EscrowKeyPair;

  beforeAll(async () => {
    [pair, second] = await Promise.all([
      createEscrowCertificate({ commonName: 'Acme escrow 2026', validDays: 30 }),
      createEscrowCertificate(),
    ]);
  });
  afterAll(() => openssl.cleanup());

  it('is a self-signed RSA-3072 certificate that openssl reads, for key encipherment only', () => {
    const text = openssl.certificateText(pair.certificatePem);
    expect(text).toMatch(/Public-Key: \(3072 bit\)/);
    expect(text).toMatch(/Subject: CN ?= ?Acme escrow 2026/);
    expect(text).toMatch(/Issuer: CN ?= ?Acme escrow 2026/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Key Encipherment\s*\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);

    const certificate = new X509Certificate(pair.certificatePem);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(pair.privateKeyPem))).toBe(true);
  });

  it('honours validDays and defaults to about ten years', () => {
    const days = (pem: string) => {
      const c = new X509Certificate(pem);
      return (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86_400_000;
    };
    expect(days(pair.certificatePem)).toBeCloseTo(30, 0);
    expect(days(second.certificatePem)).toBeCloseTo(3650, 0);
    expect(Date.parse(new X509Certificate(pair.certificatePem).validFrom)).toBeLessThanOrEqual(Date.now());
  });

  it('gives each certificate its own random positive serial', () => {
    const a = readIssuerAndSerial(pair.certificatePem).serialNumber;
    const b = readIssuerAndSerial(second.certificatePem).serialNumber;
    expect(a.length).toBe(16);
    expect((a[0] ?? 0) & 0x80).toBe(0);
    expect(a.equals(b)).toBe(false);
    expect(a.toString('hex').toUpperCase()).toBe(new X509Certificate(pair.certificatePem).serialNumber);
  });

  it('fingerprints as lowercase SHA-256 hex of the DER', () => {
    const expected = new X509Certificate(pair.certificatePem).fingerprint256
      .replaceAll(':', '')
      .toLowerCase();
    expect(certificateFingerprint(pair.certificatePem)).toBe(expected);
    expect(certificateFingerprint(second.certificatePem)).not.toBe(expected);
  });

  it('reads the issuer exactly as encoded in the certificate', () => {
    const { issuerDer } = readIssuerAndSerial(pair.certificatePem);
    expect(issuerDer.toString('latin1')).toContain('Acme escrow 2026');
    expect(new X509Certificate(pair.certificatePem).raw.includes(issuerDer)).toBe(true);
  });
});
