import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Action, DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import { PROTOCOL_VERSION } from '../../ipc/desktop-agent/limits.js';
import { ClientMessage, type ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { encodeJsonFrame, FrameDecoder } from '../../node-lib/agent-socket/frame-codec.js';

/**
 * A stand-in for the root agent that speaks the real protocol (ipc/frame-codec, ipc/messages) over a real
 * Unix socket, with a scripted LUKS volume: one right passphrase, an attempt limit and a cool-down. The
 * desktop under test cannot tell it from the agent; the end-to-end test with the real agent replaces it.
 */
export interface FakeAgentOptions {
  passphrase: string;
  status: DeviceStatus;
  attempts?: number;
  cooldownMs?: number;
  /** Pause between progress steps, so a browser can see each one. */
  stepDelayMs?: number;
  /** Stop after announcing this step until `release()` is called: lets a test look at a progress screen. */
  holdAt?: ProgressStep;
}

/** As the real agent announces them (ipc/desktop-agent/messages.ts): no 'creating_key' any more. */
export const PROGRESS_STEPS: ProgressStep[] = [
  'checking_passphrase',
  'saving_to_disk',
  'verifying',
  'uploading',
];

export class FakeAgent {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  status: DeviceStatus;
  attemptsLeft: number;
  /** What the agent received, in order (method names; 'secret:<n bytes>' for secret frames). */
  readonly received: string[] = [];
  /** The secrets as the agent decoded them, so a test can prove the passphrase went in a secret frame. */
  readonly secrets: string[] = [];
  private releaseHold: () => void = () => {};
  private readonly held = new Promise<void>((resolve) => {
    this.releaseHold = resolve;
  });

  private constructor(private readonly opts: FakeAgentOptions) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'escrow-fake-agent-'));
    this.socketPath = path.join(this.dir, 'agent.sock');
    this.status = opts.status;
    this.attemptsLeft = opts.attempts ?? 3;
    this.server = net.createServer((s) => this.serve(s));
  }

  static async start(opts: FakeAgentOptions): Promise<FakeAgent> {
    const agent = new FakeAgent(opts);
    await new Promise<void>((resolve) => agent.server.listen(agent.socketPath, resolve));
    return agent;
  }

  /** Replace the status and push it to every connected desktop, as the real agent does on change. */
  setStatus(status: DeviceStatus): void {
    this.status = status;
    this.broadcast({ type: 'event', event: 'status', data: status });
  }

  setAction(action: Action | null): void {
    this.setStatus({ ...this.status, action, updatedAt: new Date().toISOString() });
  }

  /** Drop every connection and stop listening (the agent stopped); `listen()` brings it back. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Let an escrow held at `holdAt` continue. */
  release(): void {
    this.releaseHold();
  }

  connections(): number {
    return this.sockets.size;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new FrameDecoder();
    let greeted = false;
    let secret: Buffer | null = null;
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === 'secret') {
          secret = frame.bytes;
          this.received.push(`secret:${frame.bytes.length}`);
          continue;
        }
        const msg = ClientMessage.parse(frame.value);
        if (msg.type === 'hello') {
          greeted = true;
          socket.write(
            encodeJsonFrame({
              type: 'welcome',
              protocol: PROTOCOL_VERSION,
              agentVersion: this.status.agentVersion,
              platform: this.status.platform,
              peer: { uid: 1000, name: 'tester', mayEscrow: true },
            }),
          );
          continue;
        }
        if (!greeted) throw new Error('request before hello');
        this.received.push(msg.method);
        const taken = secret;
        secret = null;
        void this.answer(socket, msg.id, msg.method, taken);
      }
    });
  }

  private async answer(socket: net.Socket, id: number, method: string, secret: Buffer | null): Promise<void> {
    const reply = (result: unknown) =>
      socket.write(encodeJsonFrame({ type: 'response', id, ok: true, result }));
    const error = (code: string, message: string, details?: object) =>
      socket.write(
        encodeJsonFrame({
          type: 'response',
          id,
          ok: false,
          error: { code, message, ...(details ? { details } : {}) },
        }),
      );
    const in4h = () => new Date(Date.now() + 4 * 3600_000).toISOString();

    if (method === 'status.get') return void reply(this.status);
    if (method === 'luks.remindLater') {
      const remindAt = in4h();
      const a = this.status.action;
      if (a?.kind === 'luks_passphrase') this.setAction({ ...a, remindAt });
      return void reply({ remindAt });
    }
    if (method === 'logout.defer') {
      const a = this.status.action;
      if (a?.kind !== 'macos_logout' || a.deferralsLeft === 0)
        return void error('not_needed', 'no deferral left');
      const next = { ...a, deferralsLeft: a.deferralsLeft - 1, nextPromptAt: in4h() };
      this.setAction(next);
      return void reply({
        deferralsLeft: next.deferralsLeft,
        nextPromptAt: next.nextPromptAt,
        deadline: next.deadline,
      });
    }
    if (method !== 'recoveryKey.create' || !secret)
      return void error('invalid_message', `unexpected ${method}`);

    const given = secret.toString('utf8');
    secret.fill(0);
    this.secrets.push(given);
    const action = this.status.action;
    if (
      action?.kind === 'luks_passphrase' &&
      action.cooldownUntil &&
      Date.parse(action.cooldownUntil) > Date.now()
    ) {
      return void error('cooldown', 'Too many wrong passphrases.', { until: action.cooldownUntil });
    }
    this.progress(socket, id, 'checking_passphrase');
    await sleep(this.opts.stepDelayMs ?? 0);
    if (given !== this.opts.passphrase) {
      this.attemptsLeft--;
      if (this.attemptsLeft <= 0) {
        const until = new Date(Date.now() + (this.opts.cooldownMs ?? 300_000)).toISOString();
        this.attemptsLeft = this.opts.attempts ?? 3;
        if (action?.kind === 'luks_passphrase') this.setAction({ ...action, cooldownUntil: until });
        return void error('cooldown', 'Too many wrong passphrases.', { until });
      }
      return void error('wrong_passphrase', 'The passphrase did not unlock the disk.', {
        attemptsLeft: this.attemptsLeft,
      });
    }
    for (const step of PROGRESS_STEPS.slice(1)) {
      this.progress(socket, id, step);
      if (step === this.opts.holdAt) await this.held;
      await sleep(this.opts.stepDelayMs ?? 0);
    }
    const escrowedAt = new Date().toISOString();
    const keySlot = 1;
    this.setStatus({
      ...this.status,
      action: null,
      volumes: this.status.volumes.map((v) => ({ ...v, escrow: { state: 'escrowed', escrowedAt, keySlot } })),
      updatedAt: escrowedAt,
    });
    reply({ outcome: 'escrowed', keySlot, escrowedAt });
  }

  private progress(socket: net.Socket, requestId: number, step: ProgressStep): void {
    socket.write(encodeJsonFrame({ type: 'event', event: 'progress', data: { requestId, step } }));
  }

  private broadcast(msg: unknown): void {
    const frame = encodeJsonFrame(msg);
    for (const s of this.sockets) s.write(frame);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Linux laptop whose LUKS2 root has no escrowed key yet, as the agent reports it. */
export function luksNeededStatus(overrides: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    agentVersion: '0.1.0',
    platform: 'linux',
    hostname: 'laptop-42',
    server: {
      state: 'connected',
      url: 'https://escrow.example.org',
      lastContactAt: new Date().toISOString(),
    },
    volumes: [
      {
        id: 'root',
        label: 'System disk',
        device: '/dev/nvme0n1p3',
        encryption: 'luks2',
        encrypted: true,
        escrow: { state: 'action_required', escrowedAt: null, keySlot: null },
      },
    ],
    action: {
      kind: 'luks_passphrase',
      volumeId: 'root',
      reason: 'no_key',
      cooldownUntil: null,
      remindAt: null,
    },
    organization: {
      name: 'Example IT',
      contactUrl: 'https://help.example.org',
      contactEmail: 'it@example.org',
      contactPhone: '+1 555 0100',
    },
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A Mac whose FileVault key must be rotated at the next login. */
export function macLogoutStatus(
  action: Partial<Extract<Action, { kind: 'macos_logout' }>> = {},
): DeviceStatus {
  return {
    ...luksNeededStatus(),
    platform: 'darwin',
    hostname: 'mac-7',
    volumes: [
      {
        id: 'disk3s1',
        label: 'Macintosh HD',
        device: '/dev/disk3s1',
        encryption: 'filevault',
        encrypted: true,
        escrow: {
          state: 'action_required',
          escrowedAt: null,
          keySlot: null,
          message: 'A new recovery key is created at your next login.',
        },
      },
    ],
    action: {
      kind: 'macos_logout',
      deadline: new Date(Date.now() + 24 * 3600_000).toISOString(),
      deferralsLeft: 3,
      nextPromptAt: null,
      ...action,
    },
  };
}
