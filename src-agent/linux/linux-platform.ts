import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import type { Action, Volume } from '../../ipc/desktop-agent/device-status.js';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { EscrowResult } from '../../ipc/desktop-agent/messages.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import type { PlatformEscrow, PlatformState, ServerWishes } from '../platform-port.js';
import type { AgentApiClient } from '../server-client/agent-api-client.js';
import type { CrashPoint } from './crash-point.js';
import type { SlotPbkdf } from './cryptsetup.js';
import type { LuksUpload } from './escrow-context.js';
import type { LuksStatus } from './escrow-state.js';
import { LuksEscrow } from './luks-escrow.js';

export interface LinuxPlatformOptions {
  device: string;
  stateDir: string;
  api: AgentApiClient;
  log: Logger;
  newSlotPbkdf?: SlotPbkdf;
  userSlotPbkdf?: SlotPbkdf;
  /** The server acknowledged a key of ours (a new escrow, or a queued key sent later). */
  onKeyAcknowledged?: () => void;
  /** TEST ONLY: passed to the LUKS core's crash points. */
  testCrashAt?: CrashPoint;
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
  // A key change whose answer went out at the server's ack while its bookkeeping (the header token, the
  // journal) still runs: reads wait for it, so nobody sees that half-finished state.
  let finishing: Promise<unknown> = Promise.resolve();
  const uploader = async (upload: LuksUpload) => {
    await opts.api.sendLuksData({ ...upload, client_error: '' });
    opts.onKeyAcknowledged?.();
  };
  const luks = new LuksEscrow({
    device: opts.device,
    stateDir: opts.stateDir,
    uploader,
    escrowCertificate: () => certificateOf(latestConfig),
    log: opts.log,
    ...(opts.newSlotPbkdf ? { newSlotPbkdf: opts.newSlotPbkdf } : {}),
    ...(opts.userSlotPbkdf ? { userSlotPbkdf: opts.userSlotPbkdf } : {}),
    ...(opts.testCrashAt ? { testCrashAt: opts.testCrashAt } : {}),
  });

  return {
    platform: 'linux',
    async state(server) {
      await finishing;
      lastStatus = await luks.status();
      return linuxState(lastStatus, server);
    },
    cachedState(server) {
      return lastStatus ? linuxState(lastStatus, server) : null;
    },
    async createRecoveryKey(passphrase, server, onProgress) {
      latestConfig = server.config ?? latestConfig;
      certificateOf(latestConfig);
      // The answer goes out at the server's ack; the token and journal bookkeeping finishes behind it.
      let answered = false;
      let answer: (result: EscrowResult) => void = () => {};
      const acknowledged = new Promise<EscrowResult>((resolve) => {
        answer = resolve;
      });
      const done = luks.createRecoveryKey(passphrase, {
        rotationRequested: server.newKeyRequested,
        onProgress,
        onAcknowledged: (result) => {
          answered = true;
          answer(result);
        },
      });
      finishing = done.catch((err: unknown) => {
        // Before the answer the caller gets this error; after it, the journal says 'acked' and
        // reconcile() finishes what is left.
        if (answered) opts.log.warn({ err: errorMessage(err) }, 'bookkeeping after the server ack failed');
      });
      return Promise.race([acknowledged, done]);
    },
    async setNewPassphrase(recoveryKey, newPassphrase, options, server, onProgress) {
      latestConfig = server.config ?? latestConfig;
      const done = (async () => {
        try {
          certificateOf(latestConfig);
        } catch (e) {
          recoveryKey.fill(0);
          newPassphrase.fill(0);
          throw e;
        }
        return luks.setNewPassphrase(recoveryKey, newPassphrase, { ...options, onProgress });
      })();
      finishing = done.catch(() => {});
      return done;
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

/** Pure: the LUKS core's status plus the server's wishes → volumes, the user's action and the report. */
export function linuxState(s: LuksStatus, server: ServerWishes): PlatformState {
  const enabled = server.config?.disk_encryption.enabled ?? null;
  const volumeId = s.uuid ?? s.device;

  const reset = newPassphraseReason(s, server);
  let reason: Extract<Action, { kind: 'luks_passphrase' }>['reason'] | null = null;
  if (s.luks2 && enabled && !reset) {
    if (s.needsKey) reason = s.hostChange ? 'key_removed' : 'no_key';
    // The server holds no good key for our current slot (it could not decrypt it, or an admin asked).
    else if (server.newKeyRequested && !s.pendingUpload) reason = 'rotation_requested';
  }

  let state: Volume['escrow']['state'];
  let message: string | undefined;
  if (!s.luks2) {
    state = enabled === false ? 'not_required' : 'failed';
    message = s.encrypted
      ? 'This disk uses LUKS1; only LUKS2 disks can hold an escrow key.'
      : 'This disk is not encrypted with LUKS2.';
  } else if (reason || reset) state = 'action_required';
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
    action: reset
      ? {
          kind: 'luks_new_passphrase',
          volumeId: volume.id,
          reason: reset,
          usedAt: server.config?.recovery_key_used?.used_at ?? null,
          cooldownUntil: s.cooldownUntil,
        }
      : reason
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

/**
 * "Set a new disk passphrase" is asked for when the server says our escrowed key was shown to its owner
 * (the person may have typed it at boot) and no newer key met that yet, or when a reset was left half done
 * with the used key still on the disk. It replaces the plain rotation prompt: it rotates the key as well.
 */
function newPassphraseReason(
  s: LuksStatus,
  server: ServerWishes,
): Extract<Action, { kind: 'luks_new_passphrase' }>['reason'] | null {
  if (!s.luks2) return null;
  if (s.resetPending && !s.pendingUpload) return 'interrupted';
  const used = server.config?.recovery_key_used;
  const escrowed = s.ourSlot !== null && s.tokenState === 'escrowed' && !s.pendingUpload;
  return used && escrowed && server.newKeyRequested ? 'recovery_key_used' : null;
}
