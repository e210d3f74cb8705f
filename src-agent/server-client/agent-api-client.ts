import type { z } from 'zod';
import {
  AGENT_API_PATHS,
  type ConfigRequest,
  ConfigResponse,
  type DiskEncryptionKeyRequest,
  type DiskEncryptionStatusRequest,
  EnrollResponse,
  ErrorResponse,
  type FileVaultPrkRequest,
  LinkCodeResponse,
  type LuksDataRequest,
  MAX_WAIT_SECONDS,
} from '../../ipc/agent-server/orbit-api.js';
import type { Logger } from '../../node-lib/logger.js';
import { ServerBusyError, ServerUnavailableError } from '../platform-port.js';
import { readEnrollSecret } from './enroll-secret-file.js';
import { ServerRejectedError } from './errors.js';
import type { HostIdentity } from './host-identity.js';
import type { HostIdentityKey } from './host-identity-key.js';
import { httpsAgentTrusting, type JsonResponse, postJson } from './http-json.js';
import type { NodeKeyStore } from './node-key-store.js';

export interface AgentApiClientOptions {
  serverUrl: string;
  enrollSecretFile: string;
  nodeKeys: NodeKeyStore;
  /** Signs each enrollment: only this computer can re-enroll its host (host-identity-key.ts). */
  identityKey: HostIdentityKey;
  identity: () => Promise<HostIdentity>;
  log: Logger;
  /** PEM certificates to trust besides the public roots (`--ca-file`): a private CA or a self-signed server. */
  caPem?: string;
  /** Timeout of a plain request; a long-poll gets its wait on top. */
  requestTimeoutMs?: number;
}

type WithoutKey<T> = Omit<T, 'orbit_node_key'>;

/** A 429 without Retry-After waits this long; a Retry-After is honoured between these bounds. */
const DEFAULT_SLOW_DOWN_MS = 60_000;
const MIN_SLOW_DOWN_MS = 1_000;
const MAX_SLOW_DOWN_MS = 60 * 60_000;

/**
 * The agent's side of the orbit contract (ipc/agent-server/orbit-api.ts). Every answer is validated with the contract's zod
 * schemas. A 401 means the server no longer knows our node key (host deleted, re-enrolled elsewhere): the
 * client enrolls again once and repeats the request.
 */
export class AgentApiClient {
  private nodeKey: string | null = null;
  private readonly timeoutMs: number;
  /** Per endpoint: no request before this time, because the server answered 429 with a Retry-After. */
  private readonly holds = new Map<string, number>();

  private readonly transport: { httpsAgent?: ReturnType<typeof httpsAgentTrusting> };

  constructor(private readonly opts: AgentApiClientOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.transport = opts.caPem ? { httpsAgent: httpsAgentTrusting(opts.caPem) } : {};
  }

  /**
   * The latest time until which the server asked us to slow down (HTTP 429), if that is still ahead; null
   * otherwise. The desktop shows it: "the server asked us to wait", not "unreachable".
   */
  slowDownUntil(now = Date.now()): Date | null {
    let latest = 0;
    for (const until of this.holds.values()) latest = Math.max(latest, until);
    return latest > now ? new Date(latest) : null;
  }

  get serverUrl(): string {
    return this.opts.serverUrl;
  }

  async isEnrolled(): Promise<boolean> {
    this.nodeKey ??= await this.opts.nodeKeys.load();
    return this.nodeKey !== null;
  }

  async enroll(signal?: AbortSignal): Promise<void> {
    const secret = await readEnrollSecret(this.opts.enrollSecretFile);
    this.checkHold(AGENT_API_PATHS.enroll, 'enroll');
    const identity = await this.opts.identity();
    const claim = await this.opts.identityKey.claim(identity.hardware_uuid);
    const res = await postJson(
      this.url(AGENT_API_PATHS.enroll),
      { enroll_secret: secret, ...identity, host_identity: claim },
      { timeoutMs: this.timeoutMs, ...this.transport, ...(signal ? { signal } : {}) },
    );
    this.noteSlowDown(AGENT_API_PATHS.enroll, res, 'enroll');
    const body = parseBody(res, EnrollResponse, 'enroll');
    await this.opts.nodeKeys.save(body.orbit_node_key);
    this.nodeKey = body.orbit_node_key;
    if (body.pending_merge) {
      // Another host enrolled with this hardware UUID and a key we do not hold (this computer was reinstalled,
      // or someone claims to be it). We escrow as a host of our own until an admin merges the two.
      this.opts.log.warn(
        { server: this.opts.serverUrl },
        'enrolled as a pending host: the server knows this hardware under another identity key; an admin must merge the two',
      );
    } else this.opts.log.info({ server: this.opts.serverUrl }, 'enrolled with the escrow server');
  }

  /** With `afterVersion`, the server holds the request until the config changes or `waitSeconds` pass. */
  config(afterVersion: string | null, waitSeconds = MAX_WAIT_SECONDS, signal?: AbortSignal) {
    const wait: ConfigRequest['wait_for_change'] =
      afterVersion === null ? undefined : { after_version: afterVersion, timeout_seconds: waitSeconds };
    return this.call(
      AGENT_API_PATHS.config,
      wait ? { wait_for_change: wait } : {},
      ConfigResponse,
      'config',
      wait ? waitSeconds * 1000 : 0,
      signal,
    );
  }

  async reportStatus(report: WithoutKey<DiskEncryptionStatusRequest>): Promise<void> {
    await this.call(AGENT_API_PATHS.diskEncryptionStatus, report, null, 'disk_encryption_status');
  }

  async sendLuksData(data: WithoutKey<LuksDataRequest>): Promise<void> {
    await this.call(AGENT_API_PATHS.luksData, data, null, 'luks_data');
  }

  /** Windows: the BitLocker recovery password's envelope, or only a `client_error`. */
  async sendDiskEncryptionKey(data: WithoutKey<DiskEncryptionKeyRequest>): Promise<void> {
    await this.call(AGENT_API_PATHS.diskEncryptionKey, data, null, 'disk_encryption_key');
  }

  /**
   * A one-time code linking this computer to the person who opens its page (orbit `link_code`). A 404
   * (no single sign-on) or 409 (already linked) is a ServerRejectedError with that status.
   */
  async linkCode(): Promise<LinkCodeResponse> {
    return this.call(AGENT_API_PATHS.linkCode, {}, LinkCodeResponse, 'link_code');
  }

  async sendFileVaultPrk(data: WithoutKey<FileVaultPrkRequest>): Promise<void> {
    await this.call(AGENT_API_PATHS.filevaultPrk, data, null, 'filevault_prk');
  }

  private async call<T extends z.ZodType | null>(
    path: string,
    body: object,
    schema: T,
    what: string,
    extraTimeoutMs = 0,
    signal?: AbortSignal,
  ): Promise<T extends z.ZodType ? z.infer<T> : null> {
    for (let attempt = 0; ; attempt++) {
      if (!(await this.isEnrolled())) await this.enroll(signal);
      this.checkHold(path, what);
      const res = await postJson(
        this.url(path),
        { ...body, orbit_node_key: this.nodeKey },
        { timeoutMs: this.timeoutMs + extraTimeoutMs, ...this.transport, ...(signal ? { signal } : {}) },
      );
      this.noteSlowDown(path, res, what);
      if (res.status === 401 && attempt === 0) {
        this.opts.log.warn({ what }, 'the escrow server does not know our node key; enrolling again');
        this.nodeKey = null;
        await this.opts.nodeKeys.clear();
        continue;
      }
      if (!schema) {
        checkStatus(res, what);
        return null as never;
      }
      return parseBody(res, schema, what) as never;
    }
  }

  private url(p: string): string {
    return new URL(p, this.opts.serverUrl).toString();
  }

  /** Honours an earlier 429 on this endpoint: nothing is sent before its Retry-After has passed. */
  private checkHold(path: string, what: string): void {
    const until = this.holds.get(path);
    if (until === undefined) return;
    if (until <= Date.now()) {
      this.holds.delete(path);
      return;
    }
    throw new ServerBusyError(slowDownMessage(what, until), new Date(until));
  }

  /**
   * A 429 holds this endpoint until its Retry-After and throws the distinct "slow down" error carrying that
   * same time (never "unreachable"), so the error, the status and the hold tell one time.
   */
  private noteSlowDown(path: string, res: JsonResponse, what: string): void {
    if (res.status !== 429) {
      this.holds.delete(path);
      return;
    }
    const until = Date.now() + slowDownMs(res);
    this.holds.set(path, until);
    throw new ServerBusyError(slowDownMessage(what, until), new Date(until));
  }
}

function slowDownMs(res: JsonResponse): number {
  return Math.min(MAX_SLOW_DOWN_MS, Math.max(MIN_SLOW_DOWN_MS, res.retryAfterMs ?? DEFAULT_SLOW_DOWN_MS));
}

function slowDownMessage(what: string, until: number): string {
  return `the escrow server asked us to slow down (HTTP 429 on ${what}); trying again at ${new Date(until).toISOString()}`;
}

/** After noteSlowDown: 5xx is "unavailable", any other non-2xx a refusal with the server's reason. */
function checkStatus(res: JsonResponse, what: string): void {
  if (res.status >= 500) {
    throw new ServerUnavailableError(`the escrow server answered ${what} with HTTP ${res.status}`);
  }
  if (res.status < 200 || res.status >= 300) {
    const err = ErrorResponse.safeParse(res.body);
    const reason = err.success ? err.data.error : `HTTP ${res.status}`;
    throw new ServerRejectedError(res.status, `the escrow server refused ${what}: ${reason}`.slice(0, 500));
  }
}

function parseBody<T extends z.ZodType>(res: JsonResponse, schema: T, what: string): z.infer<T> {
  checkStatus(res, what);
  const parsed = schema.safeParse(res.body);
  // A server that speaks another contract: retrying later (after an upgrade) is the only remedy.
  if (!parsed.success) throw new ServerUnavailableError(`the escrow server sent a malformed ${what} answer`);
  return parsed.data;
}
