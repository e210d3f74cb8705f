import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLuks2Metadata, parsePrimaryLuksHeader, readLuks2Metadata } from './luks-header.js';
import { addUserKey, makeLuks2Image, type TestImage } from './test-support/luks-image.js';

/** A header prefix as cryptsetup writes it. */
function header(version: number, uuid: string, magic = 'LUKS\xba\xbe'): Buffer {
  const b = Buffer.alloc(4096);
  b.write(magic, 0, 'latin1');
  b.writeUInt16BE(version, 6);
  b.write(uuid, 168, 'latin1');
  return b;
}
const UUID = '0b5c9a0e-1f2d-4c3b-9a8e-7d6c5b4a3f21';

describe('parsePrimaryLuksHeader', () => {
  it('reads the version and UUID of LUKS1 and LUKS2 headers', () => {
    expect(parsePrimaryLuksHeader(header(2, UUID))).toEqual({ version: 2, uuid: UUID });
    expect(parsePrimaryLuksHeader(header(1, UUID))).toEqual({ version: 1, uuid: UUID });
  });

  it('refuses anything else: wrong magic (incl. the secondary header), unknown version, bad UUID, short input', () => {
    expect(parsePrimaryLuksHeader(header(2, UUID, 'SKUL\xba\xbe'))).toBeNull();
    expect(parsePrimaryLuksHeader(header(3, UUID))).toBeNull();
    expect(parsePrimaryLuksHeader(header(2, 'not-a-uuid'))).toBeNull();
    expect(parsePrimaryLuksHeader(header(2, ''))).toBeNull();
    expect(parsePrimaryLuksHeader(header(2, UUID).subarray(0, 200))).toBeNull();
    expect(parsePrimaryLuksHeader(Buffer.alloc(4096))).toBeNull();
  });
});

describe('LUKS2 metadata read in-process (real images from cryptsetup)', () => {
  const images: TestImage[] = [];
  afterEach(() => {
    for (const img of images.splice(0)) img.cleanup();
  });
  /** An image with two user slots and a token, so the JSON has every part the agent reads. */
  function image(): TestImage {
    const img = makeLuks2Image('first', 2);
    images.push(img);
    addUserKey(img.path, 'first', 'second', 9);
    const token = JSON.stringify({ type: 'escrow-test', keyslots: ['9'], note: 'é ✓' });
    execFileSync('cryptsetup', ['token', 'import', '--json-file', '-', img.path], { input: token });
    return img;
  }
  const cryptsetupJson = (path: string) =>
    JSON.parse(execFileSync('cryptsetup', ['luksDump', '--dump-json-metadata', path], { encoding: 'utf8' }));
  /** Both header areas of the image (16 KiB each with cryptsetup's defaults). */
  function areas(path: string): Buffer {
    const buf = Buffer.alloc(2 * 16384);
    const fd = openSync(path, 'r');
    readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    return buf;
  }
  function patch(path: string, offset: number, bytes: Buffer): void {
    const fd = openSync(path, 'r+');
    writeSync(fd, bytes, 0, bytes.length, offset);
    closeSync(fd);
  }

  it('equals what `cryptsetup luksDump --dump-json-metadata` prints', async () => {
    const img = image();
    const meta = await readLuks2Metadata(img.path);
    expect(meta).toEqual(cryptsetupJson(img.path));
    expect(Object.keys((meta as { keyslots: object }).keyslots)).toEqual(['2', '9']);
  });

  it('returns null, so that cryptsetup answers, when a copy is damaged or the copies disagree', async () => {
    const img = image();
    const good = areas(img.path);
    expect(parseLuks2Metadata(good)).not.toBeNull();

    const flipped = (offset: number) => {
      const b = Buffer.from(good);
      b[offset] = (b[offset] as number) ^ 1;
      return b;
    };
    expect(parseLuks2Metadata(flipped(4096 + 10))).toBeNull(); // primary JSON: checksum fails
    expect(parseLuks2Metadata(flipped(16384 + 4096 + 10))).toBeNull(); // secondary JSON
    expect(parseLuks2Metadata(flipped(16384 + 0))).toBeNull(); // secondary magic
    expect(parseLuks2Metadata(good.subarray(0, 20000))).toBeNull(); // secondary cut off
    expect(parseLuks2Metadata(Buffer.alloc(32768))).toBeNull();

    // A write caught half-way: the primary is newer than the secondary (both intact on their own).
    const before = good.subarray(16384);
    execFileSync('cryptsetup', ['token', 'remove', '--token-id', '0', img.path]);
    patch(img.path, 16384, before);
    expect(await readLuks2Metadata(img.path)).toBeNull();
  });

  it('reports a device it cannot read by throwing, and non-LUKS2 data as null', async () => {
    const img = image();
    await expect(readLuks2Metadata(join(img.dir, 'missing.img'))).rejects.toThrow(/ENOENT/);
    const plain = join(img.dir, 'plain.bin');
    writeFileSync(plain, Buffer.alloc(64 * 1024));
    expect(await readLuks2Metadata(plain)).toBeNull();
    patch(img.path, 6, Buffer.from([0, 1])); // version 1 in the primary header
    expect(await readLuks2Metadata(img.path)).toBeNull();
  });
});
