import { MAX_FRAME_BYTES, MAX_JSON_DEPTH, MAX_SECRET_BYTES } from '../../ipc/desktop-agent/limits.js';

/**
 * Wire format: [u32 big-endian payload length][u8 kind][payload].
 * kind 1 = UTF-8 JSON message; kind 2 = secret bytes (a passphrase), kept out of JSON so the agent can hold
 * it in a Buffer and wipe it, which is impossible for a JS string parsed out of JSON.
 */
export const FrameKind = { json: 1, secret: 2 } as const;
const HEADER_BYTES = 5;

export type Frame = { kind: 'json'; value: unknown } | { kind: 'secret'; bytes: Buffer };

export type FrameErrorCode = 'frame_too_large' | 'bad_frame' | 'too_deep';

export class FrameError extends Error {
  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeJsonFrame(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  if (payload.length > MAX_FRAME_BYTES) {
    throw new FrameError('frame_too_large', `message of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  return withHeader(FrameKind.json, payload);
}

/** The caller keeps ownership of `secret` and wipes it; the returned frame must be wiped after writing. */
export function encodeSecretFrame(secret: Buffer): Buffer {
  if (secret.length > MAX_SECRET_BYTES) {
    throw new FrameError('frame_too_large', `secret of ${secret.length} bytes exceeds ${MAX_SECRET_BYTES}`);
  }
  return withHeader(FrameKind.secret, secret);
}

function withHeader(kind: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt8(kind, 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

/**
 * Incremental decoder: feed it whatever chunks the socket delivers (split anywhere) and it returns the
 * complete frames. After it throws, the stream is out of sync and the connection must be closed.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /**
   * Takes ownership of `chunk`: consumed bytes are zeroed so a passphrase does not linger in socket
   * buffers. Pass a copy if the caller still needs the bytes.
   */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      const kind = head.readUInt8(4);
      if (kind !== FrameKind.json && kind !== FrameKind.secret) {
        throw new FrameError('bad_frame', `unknown frame kind ${kind}`);
      }
      const limit = kind === FrameKind.json ? MAX_FRAME_BYTES : MAX_SECRET_BYTES;
      if (length > limit)
        throw new FrameError('frame_too_large', `frame of ${length} bytes exceeds ${limit}`);
      if (this.buffered < HEADER_BYTES + length) return frames;
      const whole = this.take(HEADER_BYTES + length);
      const payload = whole.subarray(HEADER_BYTES);
      if (kind === FrameKind.secret) {
        frames.push({ kind: 'secret', bytes: Buffer.from(payload) });
        whole.fill(0);
      } else {
        frames.push({ kind: 'json', value: parseJsonPayload(payload) });
      }
    }
  }

  /** Wipe anything still buffered (a partial secret frame, say) when the connection ends. */
  dispose(): void {
    for (const c of this.chunks) c.fill(0);
    this.chunks = [];
    this.buffered = 0;
  }

  private peek(n: number): Buffer {
    if (this.chunks.length > 1 && this.chunks[0] && this.chunks[0].length < n) this.coalesce();
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    this.coalesce();
    const all = this.chunks[0] as Buffer;
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    all.subarray(0, n).fill(0);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= n;
    return out;
  }

  private coalesce(): void {
    if (this.chunks.length <= 1) return;
    const joined = Buffer.concat(this.chunks);
    for (const c of this.chunks) c.fill(0);
    this.chunks = [joined];
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJsonPayload(payload: Buffer): unknown {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    throw new FrameError('bad_frame', 'frame is not valid UTF-8');
  }
  checkDepth(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new FrameError('bad_frame', 'frame is not valid JSON');
  }
}

/** Counts bracket nesting outside string literals, so deep input is refused before JSON.parse runs. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b /* { [ */) {
      if (++depth > MAX_JSON_DEPTH)
        throw new FrameError('too_deep', `JSON nested deeper than ${MAX_JSON_DEPTH}`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}
