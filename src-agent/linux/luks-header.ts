import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Reads LUKS headers in-process. The agent reads the header before every status report and several times
 * per key change; each `cryptsetup isLuks`/`luksUUID`/`luksDump` costs a process start (~20 ms), which
 * adds up on every check-in and makes up much of an escrow's time beyond the one slow unlock.
 *
 * Layout (cryptsetup's LUKS1/LUKS2 on-disk format documents): magic "LUKS\xba\xbe" at 0, big-endian u16
 * version at 6, the UUID as NUL-padded ASCII in the 40 bytes at 168. LUKS2 adds: u64 header-area size at
 * 8 (binary header + JSON area), u64 sequence id at 16, the checksum algorithm's name at 72, the area's own
 * offset at 256 and its checksum at 448; the JSON metadata follows the 4096-byte binary header, and a
 * second copy of the whole area (magic "SKUL\xba\xbe") follows the first.
 *
 * Anything unusual returns null and the caller asks cryptsetup, which takes the device lock and knows
 * every recovery path: a damaged primary header (cryptsetup finds the secondary copy), copies that differ
 * (a write in progress, or an interrupted one cryptsetup would repair), another checksum algorithm.
 */
export interface LuksIdentity {
  version: 1 | 2;
  uuid: string;
}

const PRIMARY_MAGIC = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]);
const SECONDARY_MAGIC = Buffer.from([0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe]);
const UUID_OFFSET = 168;
const UUID_LENGTH = 40;
const UUID_SHAPE = /^[0-9a-fA-F-]{36}$/;
const BINARY_HEADER_SIZE = 4096;
const CHECKSUM_ALG_OFFSET = 72;
const CHECKSUM_ALG_LENGTH = 32;
const AREA_OFFSET_OFFSET = 256;
const CHECKSUM_OFFSET = 448;
const CHECKSUM_FIELD_LENGTH = 64;
/** The header-area sizes LUKS2 allows: 16 KiB to 4 MiB, powers of two. */
const AREA_SIZES = new Set([16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024));

/** The primary header's identity, or null when there is no well-formed primary LUKS header. */
export async function readPrimaryLuksHeader(device: string): Promise<LuksIdentity | null> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(UUID_OFFSET + UUID_LENGTH);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return parsePrimaryLuksHeader(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Pure: the first bytes of a device → its LUKS identity, or null. */
export function parsePrimaryLuksHeader(bytes: Buffer): LuksIdentity | null {
  if (
    bytes.length < UUID_OFFSET + UUID_LENGTH ||
    !bytes.subarray(0, PRIMARY_MAGIC.length).equals(PRIMARY_MAGIC)
  )
    return null;
  const version = bytes.readUInt16BE(6);
  if (version !== 1 && version !== 2) return null;
  const field = bytes.subarray(UUID_OFFSET, UUID_OFFSET + UUID_LENGTH);
  const uuid = cString(field);
  return UUID_SHAPE.test(uuid) ? { version, uuid } : null;
}

/**
 * The LUKS2 JSON metadata (what `cryptsetup luksDump --dump-json-metadata` prints), or null when the two
 * header copies are not both intact at the same sequence id; throws only when the device cannot be read.
 */
export async function readLuks2Metadata(device: string): Promise<unknown | null> {
  const fh = await open(device, 'r');
  try {
    const first = Buffer.alloc(BINARY_HEADER_SIZE);
    await fh.read(first, 0, first.length, 0);
    const size = areaSize(first, PRIMARY_MAGIC);
    if (size === null) return null;
    const both = Buffer.alloc(2 * size);
    const { bytesRead } = await fh.read(both, 0, both.length, 0);
    return parseLuks2Metadata(both.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Pure: the first bytes of a device (both header areas) → its LUKS2 JSON metadata, or null. */
export function parseLuks2Metadata(bytes: Buffer): unknown | null {
  const size = areaSize(bytes, PRIMARY_MAGIC);
  if (size === null || bytes.length < 2 * size) return null;
  const primary = bytes.subarray(0, size);
  const secondary = bytes.subarray(size, 2 * size);
  if (
    !intact(primary, PRIMARY_MAGIC, 0n) ||
    !intact(secondary, SECONDARY_MAGIC, BigInt(size)) ||
    primary.readBigUInt64BE(16) !== secondary.readBigUInt64BE(16)
  )
    return null;
  try {
    return JSON.parse(cString(primary.subarray(BINARY_HEADER_SIZE), 'utf8'));
  } catch {
    return null;
  }
}

/** The area size a LUKS2 binary header declares, or null when it is not one. */
function areaSize(area: Buffer, magic: Buffer): number | null {
  if (area.length < BINARY_HEADER_SIZE || !area.subarray(0, magic.length).equals(magic)) return null;
  if (area.readUInt16BE(6) !== 2) return null;
  const size = Number(area.readBigUInt64BE(8));
  return AREA_SIZES.has(size) ? size : null;
}

/** A header area with the right magic, size and own offset whose SHA-256 checksum matches. */
function intact(area: Buffer, magic: Buffer, offset: bigint): boolean {
  if (areaSize(area, magic) !== area.length) return false;
  if (area.readBigUInt64BE(AREA_OFFSET_OFFSET) !== offset) return false;
  const algorithm = cString(area.subarray(CHECKSUM_ALG_OFFSET, CHECKSUM_ALG_OFFSET + CHECKSUM_ALG_LENGTH));
  if (algorithm !== 'sha256') return false;
  // The checksum covers the whole area with its own field zeroed.
  const digest = createHash('sha256')
    .update(area.subarray(0, CHECKSUM_OFFSET))
    .update(Buffer.alloc(CHECKSUM_FIELD_LENGTH))
    .update(area.subarray(CHECKSUM_OFFSET + CHECKSUM_FIELD_LENGTH))
    .digest();
  return digest.equals(area.subarray(CHECKSUM_OFFSET, CHECKSUM_OFFSET + digest.length));
}

/** A NUL-terminated (or NUL-padded) string field. */
function cString(field: Buffer, encoding: BufferEncoding = 'latin1'): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString(encoding);
}
