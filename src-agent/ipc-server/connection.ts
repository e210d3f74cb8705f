import type net from 'node:net';
import { AgentError, type ErrorCode, type IpcErrorBody } from '../../ipc/desktop-agent/errors.js';
import { HELLO_TIMEOUT_MS, PROTOCOL_VERSION } from '../../ipc/desktop-agent/limits.js';
import {
  type AgentEvent,
  ClientMessage,
  type MethodName,
  Methods,
  type RequestEnvelope,
  type Welcome,
} from '../../ipc/desktop-agent/messages.js';
import {
  encodeJsonFrame,
  type Frame,
  FrameDecoder,
  FrameError,
} from '../../node-lib/agent-socket/frame-codec.js';
import type { Logger } from '../../node-lib/logger.js';
import { type MethodHandlers, OPEN_METHODS, type PeerIdentity } from './handlers.js';

export interface ConnectionLimits {
  /** Requests one connection may have running at once; more are answered `busy`. */
  maxInFlight: number;
  /** Bytes queued for a client that does not read; beyond this the client is dropped. */
  maxQueuedWriteBytes: number;
  helloTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxInFlight: 4,
  maxQueuedWriteBytes: 1024 * 1024,
  helloTimeoutMs: HELLO_TIMEOUT_MS,
};

export interface ConnectionDeps {
  handlers: MethodHandlers;
  identify(token: string | undefined): PeerIdentity | null;
  mayEscrow(peer: PeerIdentity): boolean;
  /**
   * May this connection, whose hello proves `uid` (null = anonymous), keep its place? null = yes, else the
   * reason it is refused (admission.ts: per-user budgets, anonymous cap).
   */
  admitHello(connection: Connection, uid: number | null): string | null;
  agentVersion: string;
  platform: Welcome['platform'];
  log: Logger;
  limits: ConnectionLimits;
}

/**
 * One client connection: handshake, then requests. Treats the peer as hostile: every frame is decoded with
 * limits and validated; anything malformed ends the connection with a ConnectionError, never the agent.
 */
export class Connection {
  private static arrivals = 0;
  peer: PeerIdentity | null = null;
  /** Order of arrival, for "the oldest untrusted connection makes room" (admission.ts). */
  readonly since = Connection.arrivals++;
  private readonly decoder = new FrameDecoder();
  private pendingSecret: Buffer | null = null;
  private secretTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null;
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly deps: ConnectionDeps,
    private readonly onClosed: (c: Connection) => void,
  ) {
    this.helloTimer = setTimeout(
      () => this.fail('handshake_required', 'no hello received in time'),
      deps.limits.helloTimeoutMs,
    );
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {}); // a vanished peer surfaces as 'close'
    socket.on('close', () => this.cleanup());
  }

  get ready(): boolean {
    return this.peer !== null && !this.closed;
  }

  /** undefined before hello, null for an anonymous peer, else the uid its token proved. */
  get uid(): number | null | undefined {
    return this.peer === null ? undefined : this.peer.uid;
  }

  send(message: unknown): void {
    if (this.closed) return;
    // A client that stops reading must not make the agent buffer without bound: drop it instead.
    if (this.socket.writableLength > this.deps.limits.maxQueuedWriteBytes) {
      this.deps.log.warn({ peer: this.peer?.name }, 'dropping an IPC client that does not read its messages');
      this.socket.destroy();
      this.cleanup();
      return;
    }
    this.socket.write(encodeJsonFrame(message));
  }

  sendEvent(event: AgentEvent): void {
    if (this.ready) this.send(event);
  }

  close(): void {
    this.socket.end();
    // end() waits for the peer to read what is queued; a peer that never reads is cut off.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.cleanup();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError('bad_frame', 'unreadable frame');
      this.fail(e.code, e.message);
      return;
    }
    for (const frame of frames) {
      if (this.closed) {
        if (frame.kind === 'secret') frame.bytes.fill(0);
        continue;
      }
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.kind === 'secret') {
      if (!this.peer || this.pendingSecret) {
        frame.bytes.fill(0);
        this.fail(
          this.peer ? 'invalid_message' : 'handshake_required',
          this.peer ? 'two secret frames in a row' : 'a secret frame before hello',
        );
        return;
      }
      this.pendingSecret = frame.bytes;
      this.secretTimer = setTimeout(
        () => this.fail('invalid_message', 'a secret frame not followed by its request'),
        this.deps.limits.helloTimeoutMs,
      );
      return;
    }
    const parsed = ClientMessage.safeParse(frame.value);
    if (!parsed.success) {
      this.fail('invalid_message', 'message does not match the protocol (hello or request)');
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'hello') {
      if (this.peer) this.fail('invalid_message', 'hello sent twice');
      else this.onHello(msg);
      return;
    }
    if (!this.peer) {
      this.fail('handshake_required', 'send hello before any request');
      return;
    }
    this.onRequest(msg);
  }

  private onHello(hello: Extract<ClientMessage, { type: 'hello' }>): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.fail(
        'protocol_mismatch',
        `this agent speaks protocol ${PROTOCOL_VERSION}, the ${hello.client.name} speaks ${hello.protocol}`,
        { expectedProtocol: PROTOCOL_VERSION },
      );
      return;
    }
    const known = this.deps.identify(hello.token);
    const refused = this.deps.admitHello(this, known?.uid ?? null);
    if (refused) {
      this.fail('busy', refused);
      return;
    }
    this.peer = known ?? { uid: null, name: 'anonymous' };
    this.deps.log.debug({ peer: this.peer.name, client: hello.client.name }, 'IPC client connected');
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      agentVersion: this.deps.agentVersion,
      platform: this.deps.platform,
      peer: { uid: this.peer.uid, name: this.peer.name, mayEscrow: this.deps.mayEscrow(this.peer) },
    } satisfies Welcome);
  }

  private onRequest(req: RequestEnvelope): void {
    const secret = this.takeSecret();
    const known = Object.hasOwn(Methods, req.method);
    const wantsSecret = known && Methods[req.method as MethodName].takesSecret;
    if (secret && !wantsSecret) {
      secret.fill(0);
      this.fail('invalid_message', `a secret frame followed by ${known ? req.method : 'an unknown method'}`);
      return;
    }
    if (!known) {
      this.answerError(req.id, 'unknown_method', `no method named ${req.method}`);
      return;
    }
    const method = req.method as MethodName;
    if (wantsSecret && !secret) {
      this.answerError(req.id, 'invalid_message', `${method} needs a secret frame first`);
      return;
    }
    if (this.inFlight >= this.deps.limits.maxInFlight) {
      secret?.fill(0);
      this.answerError(req.id, 'busy', 'too many requests at once on this connection');
      return;
    }
    // run() never rejects: every failure becomes an error response.
    this.run(method, req, secret);
  }

  private async run(method: MethodName, req: RequestEnvelope, secret: Buffer | null): Promise<void> {
    const peer = this.peer as PeerIdentity;
    this.inFlight++;
    try {
      // Checked per request, not per connection: a user who logged out loses the right at once.
      if (!OPEN_METHODS.has(method) && !this.deps.mayEscrow(peer)) {
        throw new AgentError(
          'not_permitted',
          'only root, a user logged in at this computer, or an allowed user may do this',
        );
      }
      const params = Methods[method].params.safeParse(req.params);
      if (!params.success) {
        const where = params.error.issues.map((i) => i.path.join('.') || '(params)').join(', ');
        throw new AgentError('invalid_message', `invalid parameters for ${method}: ${where}`);
      }
      const handler = this.deps.handlers[method] as (p: unknown, ctx: unknown) => Promise<unknown>;
      const result = await handler(params.data, {
        peer,
        secret,
        requestId: req.id,
        progress: (step: string) =>
          this.sendEvent({
            type: 'event',
            event: 'progress',
            data: { requestId: req.id, step },
          } as AgentEvent),
      });
      this.send({ type: 'response', id: req.id, ok: true, result: Methods[method].result.parse(result) });
    } catch (err) {
      if (err instanceof AgentError)
        this.send({ type: 'response', id: req.id, ok: false, error: err.toBody() });
      else {
        this.deps.log.error({ err, method }, 'IPC request failed unexpectedly');
        this.answerError(req.id, 'internal', 'the agent hit an unexpected error; its log has the details');
      }
    } finally {
      secret?.fill(0);
      this.inFlight--;
    }
  }

  private takeSecret(): Buffer | null {
    const s = this.pendingSecret;
    this.pendingSecret = null;
    if (this.secretTimer) clearTimeout(this.secretTimer);
    this.secretTimer = null;
    return s;
  }

  private answerError(id: number, code: ErrorCode, message: string): void {
    this.send({ type: 'response', id, ok: false, error: { code, message } satisfies IpcErrorBody });
  }

  /** Connection-level error: tell the client why, then close. */
  private fail(code: ErrorCode, message: string, details?: IpcErrorBody['details']): void {
    if (this.closed) return;
    this.deps.log.info({ code, reason: message, peer: this.peer?.name }, 'closing IPC connection');
    this.send({ type: 'error', error: details ? { code, message, details } : { code, message } });
    this.close();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.takeSecret()?.fill(0);
    this.decoder.dispose();
    this.onClosed(this);
  }
}
