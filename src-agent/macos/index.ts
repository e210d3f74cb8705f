import type { Logger } from '../../node-lib/logger.js';
import type { CommandRunner } from './command-runner.js';
import { DEFAULT_MANAGED_PREFS_PATH, DEFAULT_PREFS_PATH } from './escrow-buddy.js';
import type { FileVaultEscrow } from './filevault-escrow.js';
import { createFileVaultEscrowCore } from './filevault-escrow.js';
import { DEFAULT_ESCROW_BUDDY_BUNDLE } from './filevault-state.js';
import type { PrkUploader } from './prk-watcher.js';
import { createPrkWatcher, DEFAULT_PRK_PATH } from './prk-watcher.js';

export type { CommandResult, CommandRunner } from './command-runner.js';
export { createExecFileRunner } from './command-runner.js';
export type { EscrowNotifications, FileVaultEscrow, FileVaultEscrowStatus } from './filevault-escrow.js';
export type { PrkUploader } from './prk-watcher.js';
export { DEFAULT_ESCROW_BUDDY_BUNDLE, DEFAULT_MANAGED_PREFS_PATH, DEFAULT_PREFS_PATH, DEFAULT_PRK_PATH };

export interface CreateFileVaultEscrowOptions {
  /** createExecFileRunner() on a Mac; a FixtureRunner in tests. */
  runner: CommandRunner;
  /** Root-only directory for the agent's small state files (sent PRK hashes, armed-at time). */
  stateDir: string;
  /** POST /api/fleet/orbit/filevault_prk, without orbit_node_key (the agent-service adds it). */
  uploader: PrkUploader;
  log: Logger;
  prkPath?: string;
  escrowBuddyBundle?: string;
  prefsPath?: string;
  managedPrefsPath?: string;
  /** Default 120 s: about four config polls for the server to verify a just-sent PRK. */
  verifyGraceMs?: number;
  /** Default 30 s. */
  recheckMs?: number;
  /** Default 5 s / 1 s; see prk-watcher.ts for the trade-off. */
  idlePollMs?: number;
  degradedPollMs?: number;
  now?: () => number;
}

/**
 * The macOS FileVault escrow module as the agent-service wires it:
 * start() once, onNotifications() with every config response, status()/onStatusChange() for the desktop.
 */
export function createFileVaultEscrow(opts: CreateFileVaultEscrowOptions): FileVaultEscrow {
  const watcher = createPrkWatcher({
    prkPath: opts.prkPath ?? DEFAULT_PRK_PATH,
    stateDir: opts.stateDir,
    uploader: opts.uploader,
    log: opts.log,
    ...(opts.idlePollMs !== undefined ? { idlePollMs: opts.idlePollMs } : {}),
    ...(opts.degradedPollMs !== undefined ? { degradedPollMs: opts.degradedPollMs } : {}),
  });
  return createFileVaultEscrowCore({
    runner: opts.runner,
    stateDir: opts.stateDir,
    bundlePath: opts.escrowBuddyBundle ?? DEFAULT_ESCROW_BUDDY_BUNDLE,
    prefs: {
      prefsPath: opts.prefsPath ?? DEFAULT_PREFS_PATH,
      managedPrefsPath: opts.managedPrefsPath ?? DEFAULT_MANAGED_PREFS_PATH,
    },
    watcher,
    uploader: opts.uploader,
    log: opts.log,
    now: opts.now ?? Date.now,
    verifyGraceMs: opts.verifyGraceMs ?? 120_000,
    recheckMs: opts.recheckMs ?? 30_000,
  });
}
