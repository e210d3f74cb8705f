import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent } from '../../../ipc/desktop-agent/messages.js';
import { AgentClient } from '../../../node-lib/agent-socket/client.js';
import { createLogger } from '../../../node-lib/logger.js';
import { makeLuks2Image, type TestImage } from '../../../src-agent/linux/test-support/luks-image.js';
import { type AgentOptions, type RunningAgent, startAgent } from '../../../src-agent/start-agent.js';
import { initDataDir } from '../../../src-server/init.js';
import { type RunningServer, startServer } from '../../../src-server/server.js';

/** A real escrow server (in-process, SQLite in a temp dir, 127.0.0.1:0) with its admin API at hand. */
export class TestServer {
  running: RunningServer | null = null;
  readonly logs: string[] = [];
  port = 0;

  private constructor(
    readonly dataDir: string,
    readonly enrollSecret: string,
    readonly adminToken: string,
  ) {}

  static async create(root: string): Promise<TestServer> {
    const dataDir = path.join(root, 'server');
    const init = await initDataDir({ dataDir });
    const s = new TestServer(dataDir, init.enroll_secret, init.admin_token);
    await s.start();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and data dir: the agent sees the same server come back. */
  async start(): Promise<void> {
    this.running = await startServer({
      dataDir: this.dataDir,
      port: this.port,
      verifySchedule: false,
      // Tests poll the key-read endpoint; the real limit (burst 20, one per 6 s) would stall them.
      rateLimits: { keyRead: { burst: 1000, perSecond: 100 } },
      logLevel: 'debug',
      logDestination: { write: (line: string) => void this.logs.push(line) },
    });
    this.port = Number(new URL(this.running.url).port);
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = null;
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests read the admin API's JSON ad hoc
  async admin(method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/api/latest/fleet${p}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async enableEncryption(): Promise<void> {
    const r = await this.admin('POST', '/disk_encryption', { team_id: null, enable_disk_encryption: true });
    if (r.status !== 204) throw new Error(`enable encryption: ${r.status} ${JSON.stringify(r.body)}`);
  }

  async onlyHostId(): Promise<number> {
    const r = await this.admin('GET', '/hosts');
    if (r.body.hosts.length !== 1) throw new Error(`expected one host, got ${r.body.hosts.length}`);
    return r.body.hosts[0].id;
  }

  async escrowedKey(hostId: number): Promise<string | null> {
    const r = await this.admin('GET', `/hosts/${hostId}/encryption_key?reason=e2e%20test`);
    return r.status === 200 ? r.body.encryption_key.key : null;
  }
}

export interface AgentWorld {
  root: string;
  server: TestServer;
  image: TestImage;
  socketPath: string;
  stateDir: string;
  agentLogs: string[];
  agent: RunningAgent | null;
  startAgent(extra?: Partial<AgentOptions>): Promise<RunningAgent>;
  connect(): Promise<{ client: AgentClient; events: AgentEvent[] }>;
  cleanup(): Promise<void>;
}

export async function makeWorld(passphrase: string, userSlot = 0): Promise<AgentWorld> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'escrow-agent-'));
  const server = await TestServer.create(root);
  const image = makeLuks2Image(passphrase, userSlot);
  const secretFile = path.join(root, 'enroll-secret');
  await writeFile(secretFile, `${server.enrollSecret}\n`, { mode: 0o600 });
  const clients: AgentClient[] = [];
  const world: AgentWorld = {
    root,
    server,
    image,
    socketPath: path.join(root, 'run', 'agent.sock'),
    stateDir: path.join(root, 'state'),
    agentLogs: [],
    agent: null,
    async startAgent(extra = {}) {
      world.agent = await startAgent({
        serverUrl: server.url,
        enrollSecretFile: secretFile,
        stateDir: world.stateDir,
        socketPath: world.socketPath,
        luksDevice: image.path,
        allowUsers: [],
        newSlotPbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 },
        retry: { baseMs: 200, maxMs: 1000 },
        sessionsDir: path.join(root, 'sessions'),
        log: createLogger('escrow-agent', {
          level: 'debug',
          destination: { write: (line: string) => void world.agentLogs.push(line) },
        }),
        ...extra,
      });
      return world.agent;
    },
    async connect() {
      const client = await AgentClient.connect({
        socketPath: world.socketPath,
        clientName: 'desktop',
        clientVersion: 'test',
        timeoutMs: 60_000,
      });
      clients.push(client);
      const events: AgentEvent[] = [];
      client.on('event', (e) => events.push(e));
      return { client, events };
    },
    async cleanup() {
      if (process.env.DEBUG_AGENT_LOGS) process.stderr.write(world.agentLogs.join(''));
      for (const c of clients) c.close();
      // Server first: stopping it after the agent has dropped its long-poll keeps close() waiting ~1 min
      // (reported to the server's owner); this order tests the same things without the wait.
      await server.stop();
      await world.agent?.stop();
      image.cleanup();
      await rm(root, { recursive: true, force: true });
    },
  };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(world.stateDir, { recursive: true, mode: 0o700 });
  return world;
}

/** Polls `fn` until it returns a truthy value (tests wait for asynchronous agent work this way). */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every regular file under `dir`, with its bytes, for secret searches. */
export async function allFiles(dir: string): Promise<{ file: string; bytes: Buffer }[]> {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => null);
    if (st?.isFile()) out.push({ file, bytes: await readFile(file) });
  }
  return out;
}
