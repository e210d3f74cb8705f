import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { KeyTransRecipient, RecipientId } from './envelope-parse.js';
import type { EscrowKeyPair } from './escrow-certificate.js';
import { OID } from './oids.js';
import { pemToDer } from './pem.js';

/** What a certificate answers to as a CMS recipient. */
interface CertificateIds {
  issuerDer: Buffer;
  serialNumber: Buffer;
  subjectKeyId: Buffer | undefined;
}

/**
 * Escrow certificates are few and long-lived while envelopes are many (the server re-verifies every key
 * hourly), and parsing a certificate with pkijs costs about 1.5 ms — so remember each one's identifiers.
 * Bounded so a caller passing ever-new certificates cannot grow it without limit.
 */
const idsByCertificatePem = new Map<string, CertificateIds>();
const MAX_CACHED_CERTIFICATES = 64;

/** The first recipient that one of `keys` can open, with that key. */
export function findRecipient(
  recipients: readonly KeyTransRecipient[],
  keys: readonly EscrowKeyPair[],
): { recipient: KeyTransRecipient; key: EscrowKeyPair } | undefined {
  const candidates = keys.map((key) => ({ key, ids: certificateIds(key.certificatePem) }));
  for (const recipient of recipients) {
    const found = candidates.find(({ ids }) => names(recipient.rid, ids));
    if (found) return { recipient, key: found.key };
  }
  return undefined;
}

/** Byte-for-byte comparison, as OpenSSL and Go's pkcs7 do it; issuers are copied from the certificate. */
function names(rid: RecipientId, ids: CertificateIds): boolean {
  if (rid.kind === 'subjectKeyId') return ids.subjectKeyId?.equals(rid.keyId) ?? false;
  return rid.issuerDer.equals(ids.issuerDer) && rid.serialNumber.equals(ids.serialNumber);
}

function certificateIds(certificatePem: string): CertificateIds {
  const cached = idsByCertificatePem.get(certificatePem);
  if (cached) return cached;
  const certificate = pkijs.Certificate.fromBER(pemToDer(certificatePem, 'CERTIFICATE'));
  const extension = certificate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const keyId: unknown = extension?.parsedValue;
  const ids: CertificateIds = {
    issuerDer: Buffer.from(certificate.issuer.valueBeforeDecode),
    serialNumber: Buffer.from(certificate.serialNumber.valueBlock.valueHexView),
    subjectKeyId:
      keyId instanceof asn1js.OctetString ? Buffer.from(keyId.valueBlock.valueHexView) : undefined,
  };
  if (idsByCertificatePem.size >= MAX_CACHED_CERTIFICATES) idsByCertificatePem.clear();
  idsByCertificatePem.set(certificatePem, ids);
  return ids;
}
