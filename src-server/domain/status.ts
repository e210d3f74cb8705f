import { DISK_ENCRYPTION_STATUSES, type DiskEncryptionStatus } from '../../ipc/admin/hosts.js';
import type { DiskEncryptionStatusRequest, Platform } from '../../ipc/agent-server/orbit-api.js';
import type { HostView } from '../storage/port.js';

/** Fleet's disk-encryption statuses, same names (the admin contract holds the list). */
export { DISK_ENCRYPTION_STATUSES, type DiskEncryptionStatus };

export interface StatusResult {
  /** null when disk encryption is not managed for this host (its team has it off). */
  status: DiskEncryptionStatus | null;
  /** Plain-words reason for people reading the host list. */
  detail: string;
}

/** The last status report, parsed; a stored report is written only after validation. */
export function reportedStatus(view: HostView): DiskEncryptionStatusRequest | null {
  if (!view.host.reported_status) return null;
  return JSON.parse(view.host.reported_status) as DiskEncryptionStatusRequest;
}

/**
 * Our LUKS slot is stale when the host says our token is gone or the slot's salt no longer matches the
 * escrowed one: the key we hold would not open the disk any more (Fleet #28750, #46535).
 */
export function luksKeyIsStale(view: HostView, report: DiskEncryptionStatusRequest | null): boolean {
  const luks = report?.luks;
  const key = view.key;
  if (!luks || !key?.base64_encrypted) return false;
  if (luks.token_state === 'none') return true;
  if (luks.token_state !== 'escrowed') return false;
  return (
    luks.key_slot !== key.key_slot || (luks.salt !== null && key.salt !== null && luks.salt !== key.salt)
  );
}

/**
 * Status of one host. Linux follows Fleet: no key → action_required, client error → failed, else verified.
 * Where Fleet says "verified" for any stored Linux key, we say `verifying` while the key has not been
 * decrypted yet (decryptable is null), because we check every key on arrival and hourly and "verified" should
 * mean "we know we can give this key back". A key that did not decrypt or whose slot changed on the host
 * asks the user again, so it is action_required.
 * macOS and Windows follow Fleet's MDM meaning: `enforcing` while the OS has not encrypted/escrowed yet,
 * `verifying` while a key waits for its check, `failed` on error or an undecryptable key.
 */
export function diskEncryptionStatus(view: HostView): StatusResult {
  const { host, key } = view;
  if (!view.encryption_enabled) {
    return host.removing_enforcement
      ? {
          status: 'removing_enforcement',
          detail: 'Disk encryption was turned off; the host has not checked in yet.',
        }
      : { status: null, detail: 'Disk encryption is not enforced for this host.' };
  }
  const report = reportedStatus(view);
  const hasKey = Boolean(key?.base64_encrypted);
  if (key && key.client_error !== '') {
    return { status: 'failed', detail: `The host reported an error: ${key.client_error}` };
  }
  return platformStatus(host.platform, view, report, hasKey);
}

function platformStatus(
  platform: Platform,
  view: HostView,
  report: DiskEncryptionStatusRequest | null,
  hasKey: boolean,
): StatusResult {
  const key = view.key;
  switch (platform) {
    case 'linux': {
      if (report && !report.boot_volume_encrypted) {
        return { status: 'action_required', detail: 'The boot volume is not encrypted.' };
      }
      if (!hasKey)
        return {
          status: 'action_required',
          detail: 'No key escrowed yet; the user must enter the disk passphrase.',
        };
      if (key?.decryptable === false) {
        return {
          status: 'action_required',
          detail: 'The escrowed key could not be decrypted; asking again.',
        };
      }
      if (luksKeyIsStale(view, report)) {
        return {
          status: 'action_required',
          detail: 'The escrowed key slot was removed or changed on the host.',
        };
      }
      if (key?.decryptable === null)
        return { status: 'verifying', detail: 'The key is waiting for its check.' };
      return { status: 'verified', detail: 'The key is escrowed and decrypts.' };
    }
    case 'darwin': {
      if (!hasKey) {
        return report?.filevault?.enabled
          ? { status: 'action_required', detail: 'FileVault is on but no recovery key was escrowed.' }
          : { status: 'enforcing', detail: 'Waiting for FileVault to be turned on.' };
      }
      if (key?.decryptable === false)
        return { status: 'failed', detail: 'The escrowed key could not be decrypted.' };
      if (key?.decryptable === null)
        return { status: 'verifying', detail: 'The key is waiting for its check.' };
      return { status: 'verified', detail: 'The key is escrowed and decrypts.' };
    }
    case 'windows': {
      if (!hasKey)
        return { status: 'enforcing', detail: 'Waiting for BitLocker to encrypt and escrow its key.' };
      if (key?.decryptable === false)
        return { status: 'failed', detail: 'The escrowed key could not be decrypted.' };
      if (report?.bitlocker && report.bitlocker.protection_status !== 1) {
        return { status: 'enforcing', detail: 'BitLocker protection is not on yet.' };
      }
      if (key?.decryptable === null)
        return { status: 'verifying', detail: 'The key is waiting for its check.' };
      return { status: 'verified', detail: 'The key is escrowed and decrypts.' };
    }
  }
}

export type StatusSummary = Record<DiskEncryptionStatus, { macos: number; windows: number; linux: number }>;

const SUMMARY_PLATFORM = { darwin: 'macos', windows: 'windows', linux: 'linux' } as const;

/** Fleet's summary shape: counts per status per platform. Unmanaged hosts are not counted. */
export function summarize(views: readonly HostView[]): StatusSummary {
  const out = Object.fromEntries(
    DISK_ENCRYPTION_STATUSES.map((s) => [s, { macos: 0, windows: 0, linux: 0 }]),
  ) as StatusSummary;
  for (const v of views) {
    const { status } = diskEncryptionStatus(v);
    if (status) out[status][SUMMARY_PLATFORM[v.host.platform]] += 1;
  }
  return out;
}
