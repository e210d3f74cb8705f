import type { ConfigResponse, DiskEncryptionStatusRequest } from '../ipc/agent-server/orbit-api.js';
import type { Action, Volume } from '../ipc/desktop-agent/device-status.js';
import type { EscrowResult, ProgressStep } from '../ipc/desktop-agent/messages.js';

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

/**
 * The port between the agent service (IPC, server connection, reminders) and an OS's escrow module
 * (LUKS on Linux, FileVault on macOS). The service never touches cryptsetup or fdesetup itself.
 */
export interface PlatformEscrow {
  readonly platform: 'linux' | 'darwin';
  /** The latest server config, or null before the first check-in (offline start). */
  state(config: ConfigResponse | null): Promise<PlatformState>;
  /**
   * The last state read from the OS, re-judged against a new config without touching the disk: a server
   * decision reaches the desktop at once, and `state()` confirms it a moment later. Null before any read.
   */
  cachedState(config: ConfigResponse | null): PlatformState | null;
  /** Escrow (or rotate, when the server asked) with the user's passphrase; the caller wipes it too. */
  escrow(
    passphrase: Buffer,
    config: ConfigResponse | null,
    onProgress: (step: ProgressStep) => void,
  ): Promise<EscrowResult>;
  /** Feed every new server config (macOS arms Escrow Buddy here; Linux has nothing to do). */
  onConfig(config: ConfigResponse): Promise<void>;
  /** Finish interrupted work and upload queued keys. Safe to call any time. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}
