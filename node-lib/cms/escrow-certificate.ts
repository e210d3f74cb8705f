import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateIssuerAndSerial } from './der.js';
import { OID } from './oids.js';
import { derToPem, pemToDer } from './pem.js';

/** An escrow certificate and its private key, both PEM (certificate X.509, key PKCS#8). */
export interface EscrowKeyPair {
  certificatePem: string;
  privateKeyPem: string;
}

/** How CMS names a recipient certificate: the issuer's DER bytes and the serial number's content octets. */
export interface IssuerAndSerial {
  issuerDer: Buffer;
  serialNumber: Buffer;
}

const RSA_BITS = 3072;
const DEFAULT_VALID_DAYS = 3650;
const DAY_MS = 86_400_000;

// pkijs types WebCrypto with the DOM lib's names, which this Node-only build does not load; Node's
// implementation is the same API, so bridge the two type worlds here and nowhere else.
type PkijsCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
type PkijsCryptoKey = Parameters<pkijs.Certificate['sign']>[0];
const cryptoEngine = new pkijs.CryptoEngine({
  name: 'node-webcrypto',
  crypto: webcrypto as unknown as PkijsCrypto,
});

/**
 * Creates a self-signed RSA-3072 escrow certificate. Its only key usage is keyEncipherment: agents encrypt
 * content keys to it; it signs nothing but itself.
 */
export async function createEscrowCertificate(
  opts: { commonName?: string; validDays?: number } = {},
): Promise<EscrowKeyPair> {
  const keys = (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: RSA_BITS,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;

  const certificate = new pkijs.Certificate();
  certificate.version = 2; // X.509 v3, needed for extensions
  certificate.serialNumber = new asn1js.Integer({ valueHex: randomSerial() });
  const name = nameWithCommonName(opts.commonName ?? 'Escrow Desktop escrow certificate');
  certificate.subject = name;
  certificate.issuer = name;
  const notBefore = new Date(Date.now() - 5 * 60_000); // tolerate small clock skew between hosts
  const notAfter = new Date(notBefore.getTime() + (opts.validDays ?? DEFAULT_VALID_DAYS) * DAY_MS);
  certificate.notBefore = timeFor(notBefore);
  certificate.notAfter = timeFor(notAfter);
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey as unknown as PkijsCryptoKey, cryptoEngine);

  const spkiDigest = createHash('sha1')
    .update(Buffer.from(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView))
    .digest();
  certificate.extensions = [
    new pkijs.Extension({
      extnID: OID.basicConstraints,
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: false }).toSchema().toBER(false),
    }),
    new pkijs.Extension({
      extnID: OID.keyUsage,
      critical: true,
      extnValue: keyEnciphermentOnly().toBER(false),
    }),
    new pkijs.Extension({
      extnID: OID.subjectKeyIdentifier,
      extnValue: new asn1js.OctetString({ valueHex: spkiDigest }).toBER(false),
    }),
  ];

  await certificate.sign(keys.privateKey as unknown as PkijsCryptoKey, 'SHA-256', cryptoEngine);
  const certificateDer = certificate.toSchema(true).toBER(false);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = derToPem(pkcs8, 'PRIVATE KEY');
  pkcs8.fill(0);
  return { certificatePem: derToPem(new Uint8Array(certificateDer), 'CERTIFICATE'), privateKeyPem };
}

/** SHA-256 over the certificate's DER, lowercase hex: how operators and the server name an escrow certificate. */
export function certificateFingerprint(certificatePem: string): string {
  return createHash('sha256').update(pemToDer(certificatePem, 'CERTIFICATE')).digest('hex');
}

/** Issuer and serial number exactly as a CMS recipient identifier carries them. */
export function readIssuerAndSerial(certificatePem: string): IssuerAndSerial {
  return certificateIssuerAndSerial(pemToDer(certificatePem, 'CERTIFICATE'));
}

/** 16 random bytes, first byte in 0x40..0x7f: positive and minimally encoded as a DER INTEGER. */
function randomSerial(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial;
}

function nameWithCommonName(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID.commonName,
        value: new asn1js.Utf8String({ value: commonName }),
      }),
    ],
  });
}

/** RFC 5280 requires UTCTime through 2049 and GeneralizedTime from 2050 on. */
function timeFor(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

/** KeyUsage BIT STRING with only bit 2 (keyEncipherment) set: one byte 0x20, 5 unused bits. */
function keyEnciphermentOnly(): asn1js.BitString {
  return new asn1js.BitString({ valueHex: new Uint8Array([0x20]).buffer, unusedBits: 5 });
}
