import type { ConfigResponse, DiskEncryptionStatusRequest } from '../ipc/agent-server/orbit-api.js';
import type { Action, Volume } from '../ipc/desktop-agent/device-status.js';
import type { EscrowResult, PassphraseResetResult, ProgressStep } from '../ipc/desktop-agent/messages.js';

/** What the platform reports to the server (the service adds the node key and the agent version). */
export type PlatformReport = Omit<DiskEncryptionStatusRequest, 'orbit_node_key' | 'agent_version'>;

/** The platform's view of this machine's volumes, read fresh from the OS by `state()`. */
export interface PlatformState {
  volumes: Volume[];
  /** What the user must do, before the service adds its own reminder time; null when nothing. */
  action: Action | null;
  report: PlatformReport;
  /** A key is saved on the disk and journaled but the server has not acknowledged it yet. */
  pendingUpload: boolean;
}

/** What the server wants, as the service judges it (escrow-orchestrator.ts, newKeyRequested()). */
export interface ServerWishes {
  /** The latest server config, or null before the first check-in (offline start). */
  config: ConfigResponse | null;
  /**
   * The server asks for a new key (escrow or rotation), and no key it acknowledged has met that request
   * yet. A platform with a current key of its own replaces it only when this is true.
   */
  newKeyRequested: boolean;
}

/**
 * The port between the agent service (IPC, server connection, reminders) and an OS's escrow module
 * (LUKS on Linux, FileVault on macOS, BitLocker on Windows). The service never touches cryptsetup,
 * fdesetup or BitLocker itself.
 */
export interface PlatformEscrow {
  readonly platform: 'linux' | 'darwin' | 'win32';
  state(server: ServerWishes): Promise<PlatformState>;
  /**
   * The last state read from the OS, re-judged against new server wishes without touching the disk: a
   * server decision reaches the desktop at once, and `state()` confirms it a moment later. Null before any
   * read.
   */
  cachedState(server: ServerWishes): PlatformState | null;
  /**
   * The user's "create recovery key" with their passphrase: a first key, or a replacement when the server
   * asked for one. The platform decides which from what it finds on the disk. The caller wipes the
   * passphrase too, once this resolves.
   */
  createRecoveryKey(
    passphrase: Buffer,
    server: ServerWishes,
    onProgress: (step: ProgressStep) => void,
  ): Promise<EscrowResult>;
  /**
   * "Set a new disk passphrase" with the recovery key the person typed at boot (Linux only; absent where
   * the platform rotates a used key by itself). The platform wipes both secrets.
   */
  setNewPassphrase?(
    recoveryKey: Buffer,
    newPassphrase: Buffer,
    options: { removeOldPassphrase: boolean },
    server: ServerWishes,
    onProgress: (step: ProgressStep) => void,
  ): Promise<PassphraseResetResult>;
  /**
   * Feed every new server config, with the service's judgement of it (macOS arms Escrow Buddy here; Windows
   * escrows or rotates BitLocker's recovery password; Linux has nothing to do).
   */
  onConfig(config: ConfigResponse, server?: ServerWishes): Promise<void>;
  /** Finish interrupted work and upload queued keys. Safe to call any time. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The server could not be reached or answered "try later" (network error, timeout, 5xx, 429, an answer in
 * another contract). Thrown by the server client; a platform that gets it from an upload keeps its work (a
 * journaled key stays journaled) and retries with backoff. Any other upload failure is a refusal.
 *
 * `reason` says which, because each is retried differently (config-follower.ts): `no_answer` = nothing
 * answered (connection refused or reset, no route, no DNS): the server or the network is down, and the
 * agent watches for either to come back; `timeout` = connected but no answer in time (perhaps overloaded);
 * `server_error` = it answered with an error or in another contract: both keep their backoff;
 * `untrusted_certificate` = TLS refused the server's certificate (self-signed, a private CA not given with
 * --ca-file, expired, another name): no retry can fix it, so the agent says so once and waits long.
 */
export class ServerUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason:
      | 'no_answer'
      | 'timeout'
      | 'server_error'
      | 'slow_down'
      | 'untrusted_certificate' = 'server_error',
  ) {
    super(message);
    this.name = 'ServerUnavailableError';
  }
}

/**
 * The server answered HTTP 429: it is reachable and asks this agent to slow down until `retryAt`
 * (Retry-After). Nothing is lost: a key stays journaled and is sent then. Not "unreachable".
 */
export class ServerBusyError extends ServerUnavailableError {
  constructor(
    message: string,
    readonly retryAt: Date,
  ) {
    super(message, 'slow_down');
    this.name = 'ServerBusyError';
  }
}
