import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unpadPkcs1v15KeyTransport } from './pkcs1-v15.js';

const K = 384; // RSA-3072 block
const KEY_LENGTH = 32;

/** A correctly padded block: 00 02 PS(non-zero) 00 M. */
function padded(message: Uint8Array, k = K): Buffer {
  const ps = Buffer.alloc(k - message.length - 3);
  for (let i = 0; i < ps.length; i++) ps[i] = 1 + ((randomBytes(1)[0] ?? 0) % 255);
  return Buffer.concat([Buffer.from([0x00, 0x02]), ps, Buffer.from([0x00]), message]);
}

describe('unpadPkcs1v15KeyTransport', () => {
  const fallback = Buffer.alloc(KEY_LENGTH, 0xaa);

  it('returns the message from a well-formed block', () => {
    const message = randomBytes(KEY_LENGTH);
    expect(unpadPkcs1v15KeyTransport(padded(message), KEY_LENGTH, fallback)).toEqual(message);
  });

  it.each([
    [
      'first byte not 00',
      (b: Buffer) => {
        b[0] = 0x01;
      },
    ],
    [
      'block type 01 instead of 02',
      (b: Buffer) => {
        b[1] = 0x01;
      },
    ],
    [
      'zero inside the padding string',
      (b: Buffer) => {
        b[5] = 0x00;
      },
    ],
    [
      'separator not zero',
      (b: Buffer) => {
        b[K - KEY_LENGTH - 1] = 0x07;
      },
    ],
  ])('returns the fallback when %s', (_name, corrupt) => {
    const block = padded(randomBytes(KEY_LENGTH));
    corrupt(block);
    expect(unpadPkcs1v15KeyTransport(block, KEY_LENGTH, fallback)).toEqual(fallback);
  });

  it('returns the fallback when the message has another length than the content cipher needs', () => {
    expect(unpadPkcs1v15KeyTransport(padded(randomBytes(16)), KEY_LENGTH, fallback)).toEqual(fallback);
    expect(unpadPkcs1v15KeyTransport(padded(randomBytes(24)), 16, fallback.subarray(0, 16))).toEqual(
      fallback.subarray(0, 16),
    );
  });

  it('returns the fallback for a block too short to hold 8 padding bytes', () => {
    expect(
      unpadPkcs1v15KeyTransport(padded(randomBytes(KEY_LENGTH), KEY_LENGTH + 10), KEY_LENGTH, fallback),
    ).toEqual(fallback);
  });

  it('returns a copy, never the fallback buffer itself (callers wipe both)', () => {
    const out = unpadPkcs1v15KeyTransport(Buffer.alloc(K), KEY_LENGTH, fallback);
    expect(out).toEqual(fallback);
    expect(out.buffer).not.toBe(fallback.buffer);
  });

  it('any random block is either a valid padding of its message or the fallback', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: K, maxLength: K }), (block) => {
        const out = unpadPkcs1v15KeyTransport(block, KEY_LENGTH, fallback);
        const sep = K - KEY_LENGTH - 1;
        const valid =
          block[0] === 0 &&
          block[1] === 2 &&
          block.subarray(2, sep).every((b) => b !== 0) &&
          block[sep] === 0;
        expect(out).toEqual(valid ? Buffer.from(block.subarray(sep + 1)) : fallback);
      }),
      { numRuns: 300 },
    );
  });
});
