import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from './oids.js';

/** RecipientInfo CHOICE index pkijs uses for KeyTransRecipientInfo. */
const KEY_TRANSPORT_VARIANT = 1;

/**
 * Parses DER/BER bytes as ContentInfo(EnvelopedData) with at least one key-transport recipient and
 * encrypted content. Throws (with a reason, for internal use only) when they are not.
 */
export function parseEnvelope(der: Uint8Array): pkijs.EnvelopedData {
  const asn1 = asn1js.fromBER(der);
  // A truncated or over-long file is not the envelope macOS or the agent wrote, even if a prefix parses.
  if (asn1.offset !== der.byteLength) throw new Error('not a single complete ASN.1 value');
  const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
  if (contentInfo.contentType !== OID.contentTypeEnvelopedData) throw new Error('not EnvelopedData');
  const enveloped = new pkijs.EnvelopedData({ schema: contentInfo.content });
  if (keyTransportRecipients(enveloped).length === 0) throw new Error('no key-transport recipient');
  if (!enveloped.encryptedContentInfo.encryptedContent) throw new Error('content is detached');
  return enveloped;
}

export function keyTransportRecipients(enveloped: pkijs.EnvelopedData): pkijs.KeyTransRecipientInfo[] {
  return enveloped.recipientInfos
    .filter(
      (info) => info.variant === KEY_TRANSPORT_VARIANT && info.value instanceof pkijs.KeyTransRecipientInfo,
    )
    .map((info) => info.value as pkijs.KeyTransRecipientInfo);
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
