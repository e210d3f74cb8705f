/** Object identifiers the envelope code reads and writes (RFC 5652, RFC 8017, RFC 3565, NIST CSOR). */
export const OID = {
  contentTypeData: '1.2.840.113549.1.7.1',
  contentTypeEnvelopedData: '1.2.840.113549.1.7.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

/** Node digest names for the hashes RSA-OAEP parameters may name. */
export const OAEP_HASH_BY_OID: ReadonlyMap<string, string> = new Map([
  [OID.sha1, 'sha1'],
  [OID.sha224, 'sha224'],
  [OID.sha256, 'sha256'],
  [OID.sha384, 'sha384'],
  [OID.sha512, 'sha512'],
]);

export interface ContentCipher {
  /** Name for node:crypto createDecipheriv. */
  readonly nodeName: string;
  readonly keyLength: number;
  readonly ivLength: number;
}

/**
 * Content ciphers we can read. AES-CBC covers our own envelopes, `openssl cms -encrypt` and macOS PRKs;
 * 3DES stays readable because older macOS and MDM tooling still emit it.
 */
export const CONTENT_CIPHER_BY_OID: ReadonlyMap<string, ContentCipher> = new Map([
  [OID.aes128Cbc, { nodeName: 'aes-128-cbc', keyLength: 16, ivLength: 16 }],
  [OID.aes192Cbc, { nodeName: 'aes-192-cbc', keyLength: 24, ivLength: 16 }],
  [OID.aes256Cbc, { nodeName: 'aes-256-cbc', keyLength: 32, ivLength: 16 }],
  [OID.desEde3Cbc, { nodeName: 'des-ede3-cbc', keyLength: 24, ivLength: 8 }],
]);
