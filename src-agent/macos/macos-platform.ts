import type { Volume } from '../../ipc/desktop-agent/device-status.js';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import { DEFAULT_MAX_DEFERRALS } from '../logout-deferrals.js';
import type { PlatformEscrow, PlatformState, ServerWishes } from '../platform-port.js';
import type { FileVaultEscrow, FileVaultEscrowStatus } from './index.js';

/**
 * The FileVault module behind the platform port. macOS rotates and escrows the key itself at the next
 * login (Escrow Buddy), so there is no passphrase to send: the user's part is to log out and back in.
 */
export async function createMacPlatform(fv: FileVaultEscrow): Promise<PlatformEscrow> {
  await fv.start();
  return {
    platform: 'darwin',
    async state(server) {
      return macState(fv.status(), server);
    },
    cachedState(server) {
      return macState(fv.status(), server);
    },
    async createRecoveryKey() {
      throw new AgentError(
        'unsupported_platform',
        'On a Mac the new FileVault key is made when you log out and back in; no passphrase is needed here.',
      );
    },
    async onConfig(config) {
      await fv.onNotifications(config.notifications);
    },
    async reconcile() {}, // the PRK watcher uploads on its own schedule
    async close() {
      await fv.stop();
    },
  };
}

/** Pure: FileVault status + the server's policy → the boot volume, the log-out action and the report. */
export function macState(s: FileVaultEscrowStatus, server: ServerWishes): PlatformState {
  const { config } = server;
  const enabled = config?.disk_encryption.enabled ?? null;
  let state: Volume['escrow']['state'];
  let message: string | undefined;
  if (enabled === false) state = 'not_required';
  else if (!s.fileVaultOn) {
    state = 'failed';
    message = 'FileVault is off; turn it on in System Settings → Privacy & Security.';
  } else if (s.pendingLogout) {
    state = 'action_required';
    message = 'Log out and back in to finish securing your disk.';
  } else if (s.lastError) {
    state = 'failed';
    message = s.lastError.slice(0, 1000);
  } else if (server.newKeyRequested) state = 'uploading';
  else if (s.hasPrk && enabled) state = 'escrowed';
  else state = 'unknown';
  const volume: Volume = {
    id: 'macos-boot',
    label: 'Macintosh HD',
    device: '/',
    encryption: 'filevault',
    encrypted: s.fileVaultOn,
    escrow: {
      state,
      escrowedAt: state === 'escrowed' ? (s.lastPrkSentAt ?? null) : null,
      keySlot: null,
      ...(message ? { message } : {}),
    },
  };
  // No server deadline: the service starts the default window when the prompt is first shown.
  const deadline = config?.disk_encryption.logout_deadline ?? null;
  return {
    volumes: [volume],
    action:
      state === 'action_required'
        ? {
            kind: 'macos_logout',
            deadline,
            // The allowance; the service subtracts the deferrals the user has already used.
            deferralsLeft: Math.min(config?.disk_encryption.max_deferrals ?? DEFAULT_MAX_DEFERRALS, 100),
            nextPromptAt: null,
          }
        : null,
    pendingUpload: false,
    report: {
      platform: 'darwin',
      boot_volume_encrypted: s.fileVaultOn,
      filevault: { enabled: s.fileVaultOn, has_personal_recovery_key: s.hasPrk },
    },
  };
}
