import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A body over the limit must always end in a 413 the client can read. Two things stood in the way:
 *
 * - `Expect: 100-continue`: Node answers "100 Continue" itself unless the server handles `checkContinue`,
 *   so the client started uploading and the 413 raced the upload. A body whose declared length is over the
 *   limit now gets no 100: the request goes straight to the 413 (refuseDeclaredOversize) and the client
 *   never sends it.
 * - Closing with the body still arriving: once the 413 was written Node destroyed the socket, the kernel
 *   answered the client's next segments with a reset, and a client still writing (many write the whole
 *   body before reading) got EPIPE/ECONNRESET instead of the answer. The socket now lingers: our side is
 *   closed after the answer (FIN), the rest of the body is read and thrown away, and the socket is
 *   destroyed when the client closes or after LINGER_MS.
 */

/** How long a refused upload may go on being read (and discarded) after its 413. */
export const LINGER_MS = 5_000;

/** The request's declared body length, when it is over the limit. */
export function declaredOversize(req: IncomingMessage, limit: number): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > limit;
}

/**
 * Handles `Expect: 100-continue` on the Node server: no 100 for a body declared over the limit (the request
 * is passed on without it, and refuseDeclaredOversize answers 413), the usual 100 for any other.
 */
export function refuseOversizeBeforeContinue(server: Server, limit: number): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaredOversize(req, limit)) res.writeContinue();
    server.emit('request', req, res);
  });
}

/**
 * Closes the connection only after the answer is out and the client has stopped sending: Node calls
 * `destroySoon` once the last response on a closing connection has been written; for this socket it
 * half-closes instead and keeps reading until the client closes or LINGER_MS pass.
 */
export function lingerOnClose(socket: Socket | null | undefined, lingerMs = LINGER_MS): void {
  if (!socket || socket.destroyed) return;
  socket.destroySoon = function lingeringClose(this: Socket) {
    const timer = setTimeout(() => this.destroy(), lingerMs);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    this.once('end', () => this.destroy()); // the client is done: nothing more to wait for
    this.end();
    // The HTTP parser still reads (and discards) what the client sends; a socket it does not read any more
    // is drained here.
    this.resume();
  };
}
