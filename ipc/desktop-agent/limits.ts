/**
 * Hard limits on what crosses the desktop ↔ agent socket. They exist so that a confused or hostile local
 * process cannot make the root agent allocate without bound or recurse deeply; every limit is checked
 * before JSON.parse sees the bytes.
 */
export const PROTOCOL_VERSION = 1;

/** Largest frame payload. A full status message is a few KiB; 64 KiB leaves room without inviting abuse. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Largest secret frame (a passphrase in UTF-8). cryptsetup accepts 512+ characters; 8 KiB is plenty. */
export const MAX_SECRET_BYTES = 8 * 1024;

/** Deepest JSON nesting accepted. Our messages need about 5 levels. */
export const MAX_JSON_DEPTH = 16;

/** Longest string in any message field unless the schema says less. */
export const MAX_STRING_LENGTH = 4096;

/** Frames a client may send before the agent answers the handshake. */
export const HELLO_TIMEOUT_MS = 5_000;
