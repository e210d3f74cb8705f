import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelope } from './decrypt.js';
import { encryptToCertificate } from './encrypt.js';
import { EnvelopeError } from './errors.js';
import { createEscrowCertificate, type EscrowKeyPair } from './escrow-certificate.js';

const fixtures = join(import.meta.dirname, './fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name));

/** Every failure must look identical: same class, same message, no cause that could tell why. */
async function expectGenericFailure(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect(error).toMatchObject({ message: 'envelope could not be decrypted', name: 'EnvelopeError' });
  expect((error as Error).cause).toBeUndefined();
}

describe('decryptEnvelope', () => {
  // 32 bytes: AES-CBC adds one full block of padding (16 × 0x10), which makes the tamper test exact.
  const secret = Buffer.from('ghijklnr-tuvcbdef-ghijklnr-tuvcb');
  let oldPair: EscrowKeyPair;
  let newPair: EscrowKeyPair;
  let strangerPair: EscrowKeyPair;

  beforeAll(async () => {
    [oldPair, newPair, strangerPair] = await Promise.all([
      // A rotation keeps the name: only the serial number tells the two certificates apart.
      createEscrowCertificate({ commonName: 'Acme escrow' }),
      createEscrowCertificate({ commonName: 'Acme escrow' }),
      createEscrowCertificate({ commonName: 'someone else' }),
    ]);
  });

  it('picks the key by issuer and serial, so envelopes to a rotated-out certificate still decrypt', async () => {
    const toOld = await encryptToCertificate(secret, oldPair.certificatePem);
    const toNew = await encryptToCertificate(secret, newPair.certificatePem);
    expect(await decryptEnvelope(toOld, [newPair, oldPair])).toEqual(secret);
    expect(await decryptEnvelope(toNew, [newPair, oldPair])).toEqual(secret);
    await expectGenericFailure(decryptEnvelope(toOld, [newPair]));
  });

  it('fails generically when no key matches the recipient', async () => {
    const toStranger = await encryptToCertificate(secret, strangerPair.certificatePem);
    await expectGenericFailure(decryptEnvelope(toStranger, [newPair, oldPair]));
    await expectGenericFailure(decryptEnvelope(toStranger, []));
  });

  it('fails generically when the content was tampered with', async () => {
    const envelope = await encryptToCertificate(secret, newPair.certificatePem);
    // The ciphertext ends the DER. Flipping the last bit of the second-to-last block flips the last
    // plaintext byte: padding 0x10 becomes 0x11, always invalid.
    envelope[envelope.length - 17] = (envelope[envelope.length - 17] ?? 0) ^ 0x01;
    await expectGenericFailure(decryptEnvelope(envelope, [newPair]));
  });

  it('fails generically when the encrypted content key was tampered with (RSA-OAEP)', async () => {
    const envelope = await encryptToCertificate(secret, newPair.certificatePem);
    const encryptedKey = encryptedKeyOf(envelope);
    const at = envelope.indexOf(encryptedKey) + 100;
    envelope[at] = (envelope[at] ?? 0) ^ 0x80;
    await expectGenericFailure(decryptEnvelope(envelope, [newPair]));
  });

  it('fails generically for truncated, padded-out and garbage input', async () => {
    const envelope = await encryptToCertificate(secret, newPair.certificatePem);
    await expectGenericFailure(decryptEnvelope(envelope.subarray(0, envelope.length - 1), [newPair]));
    await expectGenericFailure(decryptEnvelope(envelope.subarray(0, 40), [newPair]));
    await expectGenericFailure(decryptEnvelope(Buffer.concat([envelope, Buffer.from([0])]), [newPair]));
    await expectGenericFailure(decryptEnvelope(new Uint8Array(0), [newPair]));
    await expectGenericFailure(decryptEnvelope(Buffer.from('not an envelope at all'), [newPair]));
    await expectGenericFailure(decryptEnvelope(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), [newPair]));
  });

  it('fails generically for a PKCS#1 v1.5 envelope opened with the wrong private key (implicit rejection)', async () => {
    // Certificate matches the recipient, private key does not: raw RSA yields garbage, the padding check
    // fails, decryption continues with the substitute key and fails at the content. The recorded fixture
    // keeps the outcome fixed (a substitute key passes CBC padding for about 1 envelope in 256).
    const mismatched: EscrowKeyPair = {
      certificatePem: fixture('recipient-cert.pem').toString(),
      privateKeyPem: fixture('other-key.pem').toString(),
    };
    await expectGenericFailure(decryptEnvelope(fixture('prk-pkcs1v15-aes128.der'), [mismatched]));
    await expectGenericFailure(decryptEnvelope(fixture('prk-oaep-sha1-aes256.der'), [mismatched]));
  });

  it('fails generically when a matching key pair is not even a key', async () => {
    const broken: EscrowKeyPair = { certificatePem: newPair.certificatePem, privateKeyPem: 'nope' };
    await expectGenericFailure(
      decryptEnvelope(await encryptToCertificate(secret, newPair.certificatePem), [broken]),
    );
  });
});

function encryptedKeyOf(envelope: Buffer): Buffer {
  const contentInfo = pkijs.ContentInfo.fromBER(envelope);
  const enveloped = new pkijs.EnvelopedData({ schema: contentInfo.content });
  const info = enveloped.recipientInfos[0]?.value as pkijs.KeyTransRecipientInfo;
  return Buffer.from(info.encryptedKey.valueBlock.valueHexView);
}
