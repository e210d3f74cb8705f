import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { ErrorCode, IpcErrorBody } from '../../ipc/desktop-agent/errors.js';
import { PROTOCOL_VERSION } from '../../ipc/desktop-agent/limits.js';
import {
  type AgentEvent,
  AgentMessage,
  type MethodName,
  Methods,
  type ParamsOf,
  type Response,
  type ResultOf,
  type Welcome,
} from '../../ipc/desktop-agent/messages.js';
import { errorMessage } from '../error-message.js';
import { encodeJsonFrame, encodeSecretFrame, FrameDecoder } from './frame-codec.js';
import { tokenFileFor } from './socket-paths.js';

/** An error answered by the agent (or by this client for transport failures), with a stable code. */
export class AgentRequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'agent_unavailable' | 'timeout' | 'connection_closed',
    message: string,
    readonly details?: IpcErrorBody['details'],
  ) {
    super(message);
    this.name = 'AgentRequestError';
  }
}

export interface ConnectOptions {
  socketPath: string;
  clientName: 'desktop' | 'escrowctl';
  clientVersion: string;
  /** Defaults to reading the caller's token file next to the socket; absent file = anonymous peer. */
  token?: string | null;
  timeoutMs?: number;
}

type Pending = {
  method: MethodName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * A typed connection to the agent, shared by the desktop app's main process and escrowctl.
 * Emits 'event' (AgentEvent) and 'close'.
 */
export class AgentClient extends EventEmitter<{ event: [AgentEvent]; close: [] }> {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly welcome: Welcome,
    private readonly timeoutMs: number,
    decoder: FrameDecoder,
  ) {
    super();
    socket.on('data', (chunk) => {
      try {
        for (const frame of decoder.push(chunk)) if (frame.kind === 'json') this.onMessage(frame.value);
      } catch (err) {
        this.fail(new AgentRequestError('bad_frame', `agent sent an unreadable frame: ${errorMessage(err)}`));
      }
    });
    socket.on('close', () =>
      this.fail(new AgentRequestError('connection_closed', 'the agent closed the connection')),
    );
    socket.on('error', () => {});
  }

  static async connect(opts: ConnectOptions): Promise<AgentClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const token = opts.token === undefined ? await readOwnToken(opts.socketPath) : opts.token;
    const socket = await openSocket(opts.socketPath, timeoutMs);
    const decoder = new FrameDecoder();
    const welcome = await handshake(
      socket,
      decoder,
      {
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        client: { name: opts.clientName, version: opts.clientVersion },
        ...(token ? { token } : {}),
      },
      timeoutMs,
    );
    return new AgentClient(socket, welcome, timeoutMs, decoder);
  }

  request<M extends MethodName>(method: M, params: ParamsOf<M>, secret?: Buffer): Promise<ResultOf<M>> {
    if (this.closed)
      return Promise.reject(new AgentRequestError('connection_closed', 'not connected to the agent'));
    if (Methods[method].takesSecret !== (secret !== undefined)) {
      return Promise.reject(
        new Error(`${method} ${Methods[method].takesSecret ? 'needs' : 'takes no'} secret`),
      );
    }
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      // Long operations (an escrow runs a KDF for seconds) report progress; the timeout only guards a hung agent.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentRequestError('timeout', `the agent did not answer ${method} in time`));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      if (secret) {
        const frame = encodeSecretFrame(secret);
        this.socket.write(frame, () => frame.fill(0));
      }
      this.socket.write(encodeJsonFrame({ type: 'request', id, method, params }));
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onMessage(raw: unknown): void {
    const parsed = AgentMessage.safeParse(raw);
    if (!parsed.success) {
      this.fail(new AgentRequestError('invalid_message', 'agent sent an unexpected message'));
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'event') {
      this.emit('event', msg);
    } else if (msg.type === 'error') {
      this.fail(new AgentRequestError(msg.error.code, msg.error.message, msg.error.details));
    } else if (msg.type === 'response') {
      this.settle(msg);
    }
  }

  private settle(msg: Response): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (!msg.ok) {
      p.reject(new AgentRequestError(msg.error.code, msg.error.message, msg.error.details));
      return;
    }
    const result = Methods[p.method].result.safeParse(msg.result);
    if (result.success) p.resolve(result.data);
    else p.reject(new AgentRequestError('invalid_message', `agent sent a malformed ${p.method} result`));
  }

  private fail(err: AgentRequestError): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket.destroy();
    this.emit('close');
  }
}

async function readOwnToken(socketPath: string): Promise<string | null> {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return null;
  try {
    return (await readFile(tokenFileFor(socketPath, process.getuid()), 'utf8')).trim();
  } catch {
    return null;
  }
}

function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new AgentRequestError('agent_unavailable', 'the escrow agent did not accept the connection in time'),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? 'the escrow agent is not running'
          : err.code === 'EACCES'
            ? 'this user may not talk to the escrow agent'
            : `cannot reach the escrow agent (${err.code ?? err.message})`;
      reject(new AgentRequestError(err.code === 'EACCES' ? 'not_permitted' : 'agent_unavailable', why));
    });
  });
}

function handshake(
  socket: net.Socket,
  decoder: FrameDecoder,
  hello: unknown,
  timeoutMs: number,
): Promise<Welcome> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, w?: Welcome) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(w as Welcome);
    };
    const timer = setTimeout(
      () => done(new AgentRequestError('timeout', 'the agent did not answer the handshake')),
      timeoutMs,
    );
    const onClose = () =>
      done(
        new AgentRequestError('connection_closed', 'the agent closed the connection during the handshake'),
      );
    const onData = (chunk: Buffer) => {
      try {
        const [first] = decoder.push(chunk);
        if (!first) return;
        const msg = first.kind === 'json' ? AgentMessage.safeParse(first.value) : null;
        if (msg?.success && msg.data.type === 'welcome') return done(null, msg.data);
        if (msg?.success && msg.data.type === 'error') {
          const e = msg.data.error;
          return done(new AgentRequestError(e.code, e.message, e.details));
        }
        done(
          new AgentRequestError(
            'invalid_message',
            'the agent answered the handshake with something unexpected',
          ),
        );
      } catch (err) {
        done(new AgentRequestError('bad_frame', errorMessage(err)));
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(encodeJsonFrame(hello));
  });
}
