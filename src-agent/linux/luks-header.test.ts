import { describe, expect, it } from 'vitest';
import { parsePrimaryLuksHeader } from './luks-header.js';

/** A header prefix as cryptsetup writes it (the real-image cases are in cryptsetup.test.ts). */
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
