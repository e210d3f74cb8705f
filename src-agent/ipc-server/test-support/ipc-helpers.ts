import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DeviceStatus } from '../../../ipc/desktop-agent/device-status.js';
import { AgentError } from '../../../ipc/desktop-agent/errors.js';
import {
  encodeJsonFrame,
  encodeSecretFrame,
  FrameDecoder,
} from '../../../node-lib/agent-socket/frame-codec.js';
import { createLogger } from '../../../node-lib/logger.js';
import type { MethodHandlers } from '../handlers.js';
import { type IpcServer, startIpcServer } from '../server.js';

export const sampleStatus: DeviceStatus = {
  agentVersion: '0.1.0',
  platform: 'linux',
  hostname: 'test-host',
  server: { state: 'connected', url: 'http://127.0.0.1:1', lastContactAt: null },
  volumes: [],
  action: null,
  organization: null,
  updatedAt: new Date(0).toISOString(),
};

/** Handlers that record what reached them, so a test can prove that a refused request did nothing. */
export function recordingHandlers() {
  const calls: { method: string; peer: string; secret: string | null }[] = [];
  let release: (() => void) | null = null;
  const handlers: MethodHandlers = {
    'status.get': async (_p, ctx) => {
      calls.push({ method: 'status.get', peer: ctx.peer.name, secret: null });
      return sampleStatus;
    },
    'recoveryKey.create': async (_p, ctx) => {
      const secret = ctx.secret?.toString('utf8') ?? null;
      calls.push({ method: 'recoveryKey.create', peer: ctx.peer.name, secret });
      ctx.progress('checking_passphrase');
      if (secret === 'wrong') throw new AgentError('wrong_passphrase', 'wrong', { attemptsLeft: 4 });
      if (secret === 'hold') await new Promise<void>((r) => (release = r));
      ctx.progress('uploading');
      return { outcome: 'escrowed', keySlot: 1, escrowedAt: new Date(0).toISOString() };
    },
    'luks.remindLater': async (_p, ctx) => {
      calls.push({ method: 'luks.remindLater', peer: ctx.peer.name, secret: null });
      return { remindAt: new Date(0).toISOString() };
    },
    'logout.defer': async () => {
      throw new AgentError('unsupported_platform', 'no FileVault here');
    },
    'luks.setNewPassphrase': async (_p, ctx) => {
      calls.push({
        method: 'luks.setNewPassphrase',
        peer: ctx.peer.name,
        secret: ctx.secret?.toString('utf8') ?? null,
      });
      return {
        outcome: 'escrowed',
        keySlot: 2,
        escrowedAt: new Date(0).toISOString(),
        passphraseSlot: 1,
        oldPassphrase: 'removed',
      };
    },
    'link.start': async (_p, ctx) => {
      calls.push({ method: 'link.start', peer: ctx.peer.name, secret: null });
      return { url: 'http://127.0.0.1:1/link?code=x', expiresAt: new Date(0).toISOString() };
    },
  };
  return { handlers, calls, release: () => release?.() };
}

export async function startTestIpc(
  handlers: MethodHandlers,
  extra: Partial<Parameters<typeof startIpcServer>[0]> = {},
): Promise<{ server: IpcServer; dir: string; socketPath: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-ipc-'));
  const socketPath = path.join(dir, 'run', 'agent.sock');
  const server = await startIpcServer({
    socketPath,
    handlers,
    extraUsers: [],
    agentVersion: '0.1.0',
    platform: 'linux',
    log: createLogger('ipc-test', { level: 'silent' }),
    sessionsDir: path.join(dir, 'sessions'),
    ...extra,
  });
  return {
    server,
    dir,
    socketPath,
    async cleanup() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A hand-driven client for sending frames a well-behaved AgentClient never would. */
export class RawClient {
  readonly messages: unknown[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder();
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c) => {
      for (const f of this.decoder.push(c)) if (f.kind === 'json') this.messages.push(f.value);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(socketPath: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  json(value: unknown): this {
    this.socket.write(encodeJsonFrame(value));
    return this;
  }

  secret(text: string): this {
    this.socket.write(encodeSecretFrame(Buffer.from(text)));
    return this;
  }

  raw(bytes: Buffer): this {
    this.socket.write(bytes);
    return this;
  }

  hello(token?: string, protocol = 1): this {
    return this.json({
      type: 'hello',
      protocol,
      client: { name: 'escrowctl', version: 'test' },
      ...(token ? { token } : {}),
    });
  }

  /** Waits until `pred` matches a received message (returns it) or the connection closes. */
  async waitFor(
    pred: (m: Record<string, unknown>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find((m) => pred(m as Record<string, unknown>));
      if (hit) return hit as Record<string, unknown>;
      if (this.closed)
        throw new Error(`closed before a matching message; got ${JSON.stringify(this.messages)}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection stayed open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
}
