import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import type { Action, Volume } from '../../ipc/desktop-agent/device-status.js';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { Logger } from '../../node-lib/logger.js';
import type { PlatformEscrow, PlatformState } from '../platform-port.js';
import type { AgentApiClient } from '../server-client/agent-api-client.js';
import { ServerUnavailableError } from '../server-client/errors.js';
import {
  createLuksEscrow,
  type LuksStatus,
  type LuksUpload,
  type SlotPbkdf,
  UploadUnavailableError,
} from './index.js';

export interface LinuxPlatformOptions {
  device: string;
  stateDir: string;
  api: AgentApiClient;
  log: Logger;
  newSlotPbkdf?: SlotPbkdf;
  /** TEST ONLY: passed to the LUKS core's crash points. */
  testCrashAt?: Parameters<typeof createLuksEscrow>[0]['testCrashAt'];
}

/** The escrow certificate is needed before a key can be made: no config yet means the server was never reached. */
function certificateOf(config: ConfigResponse | null): string {
  if (!config) {
    throw new AgentError(
      'internal',
      'The agent has not reached the escrow server yet, so it cannot protect a new key. Try again once it is connected.',
    );
  }
  return config.escrow_certificate;
}

export function createLinuxPlatform(opts: LinuxPlatformOptions): PlatformEscrow {
  let latestConfig: ConfigResponse | null = null;
  let lastStatus: LuksStatus | null = null;
  // The config version current when the server acknowledged our key. That config still says "escrow
  // needed" until the long-poll brings the next version; its wish is already met, so it is not a rotation.
  let ackedUnderVersion: string | null = null;
  const answered = (config: ConfigResponse | null) =>
    config !== null && config.config_version === ackedUnderVersion;
  const uploader = async (upload: LuksUpload) => {
    try {
      await opts.api.sendLuksData({ ...upload, client_error: '' });
      ackedUnderVersion = latestConfig?.config_version ?? null;
    } catch (err) {
      // The core keeps the slot and the journal for an unreachable server; anything else is a refusal.
      if (err instanceof ServerUnavailableError) throw new UploadUnavailableError(err.message);
      throw err;
    }
  };
  const luks = createLuksEscrow({
    device: opts.device,
    stateDir: opts.stateDir,
    uploader,
    escrowCertificate: () => certificateOf(latestConfig),
    log: opts.log,
    ...(opts.newSlotPbkdf ? { newSlotPbkdf: opts.newSlotPbkdf } : {}),
    ...(opts.testCrashAt ? { testCrashAt: opts.testCrashAt } : {}),
  });

  return {
    platform: 'linux',
    async state(config) {
      lastStatus = await luks.status();
      return linuxState(lastStatus, config, answered(config));
    },
    cachedState(config) {
      return lastStatus ? linuxState(lastStatus, config, answered(config)) : null;
    },
    async escrow(passphrase, config, onProgress) {
      latestConfig = config ?? latestConfig;
      certificateOf(latestConfig);
      const s = await luks.status();
      const action = linuxState(s, config, answered(config)).action;
      // With a current key of ours, only a server request justifies a new one: rotate replaces the old slot.
      if (
        s.ourSlot !== null &&
        action?.kind === 'luks_passphrase' &&
        action.reason === 'rotation_requested'
      ) {
        return luks.rotate(passphrase, onProgress);
      }
      return luks.escrow(passphrase, onProgress);
    },
    async onConfig(config) {
      latestConfig = config;
    },
    async reconcile() {
      try {
        await luks.reconcile();
      } catch (err) {
        // busy = an escrow is running and will upload itself; no LUKS device = nothing to reconcile.
        if (err instanceof AgentError && (err.code === 'busy' || err.code === 'no_luks_device')) return;
        throw err;
      }
    },
    async close() {},
  };
}

/**
 * Pure: the LUKS core's status plus the server's wishes → volumes, the user's action and the report.
 * `requestAnswered`: the config predates the server's ack of our current key, so its request is met.
 */
export function linuxState(
  s: LuksStatus,
  config: ConfigResponse | null,
  requestAnswered = false,
): PlatformState {
  const enabled = config?.disk_encryption.enabled ?? null;
  const wantsNewKey =
    config !== null &&
    !requestAnswered &&
    enabled === true &&
    (config.notifications.run_disk_encryption_escrow || config.notifications.rotate_disk_encryption_key);
  const volumeId = s.uuid ?? s.device;

  let reason: Extract<Action, { kind: 'luks_passphrase' }>['reason'] | null = null;
  if (s.luks2 && enabled) {
    if (s.needsKey) reason = s.hostChange ? 'key_removed' : 'no_key';
    // The server holds no good key for our current slot (it could not decrypt it, or an admin asked).
    else if (wantsNewKey && !s.pendingUpload) reason = 'rotation_requested';
  }

  let state: Volume['escrow']['state'];
  let message: string | undefined;
  if (!s.luks2) {
    state = enabled === false ? 'not_required' : 'failed';
    message = s.encrypted
      ? 'This disk uses LUKS1; only LUKS2 disks can hold an escrow key.'
      : 'This disk is not encrypted with LUKS2.';
  } else if (reason) state = 'action_required';
  // Acknowledged but the header token not yet marked escrowed is still in transit, not unknown.
  else if (s.pendingUpload || (s.ourSlot !== null && s.tokenState === 'pending')) state = 'uploading';
  else if (s.ourSlot !== null && s.tokenState === 'escrowed') state = 'escrowed';
  else if (enabled === false) state = 'not_required';
  else state = 'unknown'; // no config yet: we do not know whether the organization wants a key
  if (reason === 'key_removed') message = 'The recovery key was removed or changed on this computer.';

  const volume: Volume = {
    id: volumeId.slice(0, 256),
    label: 'System disk',
    device: s.device.slice(0, 1024),
    encryption: s.luks2 ? 'luks2' : s.encrypted ? 'luks1' : 'none',
    encrypted: s.encrypted,
    escrow: {
      state,
      escrowedAt: s.escrowedAt,
      keySlot: s.ourSlot,
      ...(message ? { message } : {}),
    },
  };
  return {
    volumes: [volume],
    action: reason
      ? {
          kind: 'luks_passphrase',
          volumeId: volume.id,
          reason,
          cooldownUntil: s.cooldownUntil,
          remindAt: null,
        }
      : null,
    pendingUpload: s.pendingUpload,
    report: {
      platform: 'linux',
      boot_volume_encrypted: s.encrypted,
      ...(s.luks2
        ? {
            luks: {
              device: s.device.slice(0, 256),
              uuid: (s.uuid ?? '').slice(0, 256),
              key_slot: s.ourSlot,
              salt: s.salt,
              token_state: s.tokenState,
            },
          }
        : {}),
    },
  };
}
