import { open } from 'node:fs/promises';

/**
 * Reads the LUKS version and UUID from the primary binary header, in-process. The agent asks "is this
 * LUKS2, and which one?" before every status read and every key change; answering that with
 * `cryptsetup isLuks` + `luksUUID` cost two process starts (~20 ms each) per question, on every check-in.
 *
 * Layout (the same for LUKS1 and LUKS2, cryptsetup's on-disk format documents): magic "LUKS\xba\xbe" at 0,
 * big-endian u16 version at 6, the UUID as NUL-padded ASCII in the 40 bytes at 168. Only the primary
 * header is read: when it is damaged, cryptsetup itself still finds a LUKS2 secondary copy, so a caller
 * that gets `null` asks cryptsetup instead of concluding "not LUKS".
 */
export interface LuksIdentity {
  version: 1 | 2;
  uuid: string;
}

const MAGIC = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]);
const UUID_OFFSET = 168;
const UUID_LENGTH = 40;
const UUID_SHAPE = /^[0-9a-fA-F-]{36}$/;

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
  if (bytes.length < UUID_OFFSET + UUID_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const version = bytes.readUInt16BE(6);
  if (version !== 1 && version !== 2) return null;
  const field = bytes.subarray(UUID_OFFSET, UUID_OFFSET + UUID_LENGTH);
  const end = field.indexOf(0);
  const uuid = field.subarray(0, end === -1 ? field.length : end).toString('latin1');
  return UUID_SHAPE.test(uuid) ? { version, uuid } : null;
}
