import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_JSON_DEPTH, MAX_SECRET_BYTES } from '../../ipc/desktop-agent/limits.js';
import {
  encodeJsonFrame,
  encodeSecretFrame,
  type Frame,
  FrameDecoder,
  FrameError,
  FrameKind,
} from './frame-codec.js';

/** Feeds `bytes` to a fresh decoder in pieces cut at `cuts` and returns every frame it produced. */
function decodeInPieces(bytes: Buffer, cuts: number[]): Frame[] {
  const d = new FrameDecoder();
  const frames: Frame[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    frames.push(...d.push(Buffer.from(bytes.subarray(start, cut))));
    start = cut;
  }
  return frames;
}

function rawFrame(kind: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 0);
  head.writeUInt8(kind, 4);
  return Buffer.concat([head, payload]);
}

const jsonValue = fc.jsonValue({ maxDepth: 6 }).filter((v) => JSON.stringify(v) !== undefined);

describe('frame codec', () => {
  it('round-trips 10,000 generated messages, each split at a random set of byte boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(jsonValue, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, rawCuts) => {
          const bytes = Buffer.concat(values.map((v) => encodeJsonFrame(v)));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const frames = decodeInPieces(bytes, cuts);
          expect(frames.map((f) => (f.kind === 'json' ? f.value : null))).toEqual(
            values.map((v) => JSON.parse(JSON.stringify(v))),
          );
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('decodes the same frames whichever single byte boundary the stream is split at', () => {
    const secret = Buffer.from('correct horse battery staple ✓');
    const bytes = Buffer.concat([
      encodeJsonFrame({ type: 'hello', n: [1, 2, { deep: 'x' }] }),
      encodeSecretFrame(secret),
      encodeJsonFrame({ type: 'request', id: 7, method: 'recoveryKey.create', params: {} }),
    ]);
    const expected = decodeInPieces(bytes, []);
    expect(expected).toHaveLength(3);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(decodeInPieces(bytes, [cut])).toEqual(expected);
    }
    const oneByteAtATime = Array.from({ length: bytes.length }, (_, i) => i);
    expect(decodeInPieces(bytes, oneByteAtATime)).toEqual(expected);
  });

  it('carries secrets as raw bytes, never through JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        const [frame] = decodeInPieces(encodeSecretFrame(Buffer.from(bytes)), []);
        expect(frame).toEqual({ kind: 'secret', bytes: Buffer.from(bytes) });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an oversize frame from its header alone, before buffering the payload', () => {
    const d = new FrameDecoder();
    const head = Buffer.alloc(5);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    head.writeUInt8(FrameKind.json, 4);
    expect(() => d.push(head)).toThrowError(expect.objectContaining({ code: 'frame_too_large' }));
    const secretHead = Buffer.from(head);
    secretHead.writeUInt32BE(MAX_SECRET_BYTES + 1, 0);
    secretHead.writeUInt8(FrameKind.secret, 4);
    expect(() => new FrameDecoder().push(secretHead)).toThrowError(
      expect.objectContaining({ code: 'frame_too_large' }),
    );
  });

  it('accepts a frame of exactly the limit', () => {
    const filler = 'a'.repeat(MAX_FRAME_BYTES - 2);
    const [frame] = decodeInPieces(encodeJsonFrame(filler), []);
    expect(frame).toEqual({ kind: 'json', value: filler });
    expect(() => encodeJsonFrame(`${filler}b`)).toThrow(FrameError);
  });

  it('refuses unknown kinds, invalid UTF-8 and invalid JSON with a bad_frame error', () => {
    const cases = [
      rawFrame(9, Buffer.from('{}')),
      rawFrame(FrameKind.json, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      rawFrame(FrameKind.json, Buffer.from('{"a":')),
      rawFrame(FrameKind.json, Buffer.from('')),
    ];
    for (const bytes of cases) {
      expect(() => decodeInPieces(bytes, [])).toThrowError(expect.objectContaining({ code: 'bad_frame' }));
    }
  });

  it('refuses JSON nested deeper than the limit without parsing it', () => {
    const ok = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(decodeInPieces(rawFrame(FrameKind.json, Buffer.from(ok)), [])).toHaveLength(1);
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(() => decodeInPieces(rawFrame(FrameKind.json, Buffer.from(deep)), [])).toThrowError(
      expect.objectContaining({ code: 'too_deep' }),
    );
    // Brackets inside strings (including escaped quotes) do not count as nesting.
    const inString = JSON.stringify({ s: `\\"${'['.repeat(100)}` });
    expect(decodeInPieces(rawFrame(FrameKind.json, Buffer.from(inString)), [])).toHaveLength(1);
  });

  it('never throws anything but FrameError on arbitrary garbage, split anywhere', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (garbage, rawCuts) => {
          const bytes = Buffer.from(garbage);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          try {
            decodeInPieces(bytes, cuts);
          } catch (err) {
            expect(err).toBeInstanceOf(FrameError);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('returns nothing for a truncated frame and completes it when the rest arrives', () => {
    const bytes = encodeJsonFrame({ hello: 'world' });
    for (let n = 0; n < bytes.length; n++) {
      const d = new FrameDecoder();
      expect(d.push(Buffer.from(bytes.subarray(0, n)))).toEqual([]);
      expect(d.push(Buffer.from(bytes.subarray(n)))).toEqual([{ kind: 'json', value: { hello: 'world' } }]);
    }
  });

  it('zeroes the bytes it consumed, so a secret does not linger in the socket chunk', () => {
    const chunk = encodeSecretFrame(Buffer.from('hunter2'));
    const [frame] = new FrameDecoder().push(chunk);
    expect(frame).toEqual({ kind: 'secret', bytes: Buffer.from('hunter2') });
    expect(chunk.every((b) => b === 0)).toBe(true);
  });

  it('wipes a partially received secret when disposed', () => {
    const d = new FrameDecoder();
    const frame = encodeSecretFrame(Buffer.from('hunter2 hunter2'));
    const partial = Buffer.from(frame.subarray(0, frame.length - 3));
    d.push(partial);
    d.dispose();
    expect(partial.every((b) => b === 0)).toBe(true);
  });
});
