import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import {
  AGENT_API_PATHS,
  type ConfigRequest,
  ConfigResponse,
  type DiskEncryptionStatusRequest,
  EnrollResponse,
  ErrorResponse,
  type FileVaultPrkRequest,
  type LuksDataRequest,
  MAX_WAIT_SECONDS,
} from '../../ipc/agent-server/orbit-api.js';
import type { Logger } from '../../node-lib/logger.js';
import { ServerUnavailableError } from '../platform-port.js';
import { ServerRejectedError } from './errors.js';
import type { HostIdentity } from './host-identity.js';
import { type JsonResponse, postJson } from './http-json.js';
import type { NodeKeyStore } from './node-key-store.js';

export interface AgentApiClientOptions {
  serverUrl: string;
  enrollSecretFile: string;
  nodeKeys: NodeKeyStore;
  identity: () => Promise<HostIdentity>;
  log: Logger;
  /** Timeout of a plain request; a long-poll gets its wait on top. */
  requestTimeoutMs?: number;
}

type WithoutKey<T> = Omit<T, 'orbit_node_key'>;

/**
 * The agent's side of src-server/api/agent-api.ts. Every answer is validated with the contract's zod
 * schemas. A 401 means the server no longer knows our node key (host deleted, re-enrolled elsewhere): the
 * client enrolls again once and repeats the request.
 */
export class AgentApiClient {
  private nodeKey: string | null = null;
  private readonly timeoutMs: number;

  constructor(private readonly opts: AgentApiClientOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  get serverUrl(): string {
    return this.opts.serverUrl;
  }

  async isEnrolled(): Promise<boolean> {
    this.nodeKey ??= await this.opts.nodeKeys.load();
    return this.nodeKey !== null;
  }

  async enroll(signal?: AbortSignal): Promise<void> {
    const secret = (await readFile(this.opts.enrollSecretFile, 'utf8')).trim();
    if (!secret)
      throw new ServerRejectedError(0, `the enroll secret file ${this.opts.enrollSecretFile} is empty`);
    const res = await postJson(
      this.url(AGENT_API_PATHS.enroll),
      { enroll_secret: secret, ...(await this.opts.identity()) },
      { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) },
    );
    const body = parseBody(res, EnrollResponse, 'enroll');
    await this.opts.nodeKeys.save(body.orbit_node_key);
    this.nodeKey = body.orbit_node_key;
    this.opts.log.info({ server: this.opts.serverUrl }, 'enrolled with the escrow server');
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
      const res = await postJson(
        this.url(path),
        { ...body, orbit_node_key: this.nodeKey },
        { timeoutMs: this.timeoutMs + extraTimeoutMs, ...(signal ? { signal } : {}) },
      );
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
}

function checkStatus(res: JsonResponse, what: string): void {
  if (res.status >= 500 || res.status === 429) {
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
