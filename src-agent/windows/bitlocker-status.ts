import type { Volume } from '../../ipc/desktop-agent/device-status.js';
import type { PlatformState, ServerWishes } from '../platform-port.js';
import { escrowedProtectorPresent, isManaged } from './bitlocker-decide.js';
import type { BitLockerJournalEntry, EscrowedProtector } from './bitlocker-journal.js';
import {
  type BitLockerSnapshot,
  type BitLockerVolume,
  ENCRYPTION_METHOD_NAME,
  isConverting,
  volumeLabel,
} from './bitlocker-snapshot.js';

/** What the Windows platform knows besides the snapshot, per managed volume (by device ID). */
export interface WindowsFacts {
  snapshot: BitLockerSnapshot;
  escrowed: ReadonlyMap<string, EscrowedProtector>;
  journal: ReadonlyMap<string, BitLockerJournalEntry>;
  /** The last failure, in words (also sent as `client_error`); null after a success. */
  lastError: { message: string; userCanFix: boolean } | null;
  running: boolean;
}

export const SUSPENDED_MESSAGE =
  'BitLocker protection is suspended on this drive (often for a firmware or Windows update). Restart the computer to turn it back on; if it stays off, open "Manage BitLocker" and choose "Resume protection".';

/** Pure: the rows for My Device, the "action required" notice and the report to the server. */
export function windowsState(f: WindowsFacts, server: ServerWishes): PlatformState {
  const enabled = server.config?.disk_encryption.enabled ?? null;
  const rows = f.snapshot.volumes.filter((v) => v.kind !== 'removable').map((v) => row(v, f, enabled));
  const os = f.snapshot.volumes.find((v) => v.kind === 'os') ?? null;
  const osRow = os ? rows.find((r) => r.id === volumeRowId(os)) : undefined;
  const actionMessage = osRow?.escrow.state === 'action_required' ? osRow.escrow.message : undefined;
  return {
    volumes: rows,
    action: actionMessage ? { kind: 'bitlocker', message: actionMessage } : null,
    pendingUpload: [...f.journal.values()].some((e) => e.state === 'password_added'),
    report: {
      platform: 'windows',
      boot_volume_encrypted: os?.conversion === 'FullyEncrypted',
      ...(os
        ? {
            bitlocker: {
              conversion_status: os.conversion,
              protection_status: os.protection === 'on' ? 1 : os.protection === 'off' ? 0 : 2,
              escrowed_protector_id: ourProtector(os, f.escrowed.get(os.deviceId) ?? null),
            },
          }
        : {}),
      ...(f.lastError ? { client_error: f.lastError.message.slice(0, 4096) } : {}),
    },
  };
}

/** The escrowed protector's ID when the volume still has it (verified at this look), else null. */
function ourProtector(v: BitLockerVolume, e: EscrowedProtector | null): string | null {
  return e && escrowedProtectorPresent(v, e) ? e.protector_id : null;
}

export function volumeRowId(v: BitLockerVolume): string {
  return `bitlocker-${/\{([0-9A-Fa-f-]{36})\}/.exec(v.deviceId)?.[1]?.toLowerCase() ?? 'unknown'}`;
}

function row(v: BitLockerVolume, f: WindowsFacts, enabled: boolean | null): Volume {
  const escrowed = f.escrowed.get(v.deviceId) ?? null;
  const entry = f.journal.get(v.deviceId) ?? null;
  const ours = escrowedProtectorPresent(v, escrowed);
  let state: Volume['escrow']['state'];
  let message: string | undefined;
  if (!isManaged(v)) {
    state = 'not_required';
    message = 'Your organization escrows the recovery password of the Windows drive only.';
  } else if (!f.snapshot.os.workstation) {
    state = 'not_required';
    message = 'Windows Server is not managed by this agent.';
  } else if (enabled === false) state = 'not_required';
  else if (f.running) state = 'in_progress';
  else if (entry?.state === 'password_added' || entry?.state === 'acked') {
    state = 'uploading';
    message =
      'The new recovery password is saved on this computer and will reach IT when the server answers.';
  } else if (v.locked) {
    state = 'action_required';
    message = 'This drive is locked; unlock it so its recovery password can be checked.';
  } else if (v.conversion === 'FullyEncrypted' && v.protection === 'off') {
    state = 'action_required';
    message = SUSPENDED_MESSAGE;
  } else if (f.lastError) {
    // What the user can fix is a notice with what to do; the rest is IT's, shown as failed.
    state = f.lastError.userCanFix ? 'action_required' : 'failed';
    message = f.lastError.message.slice(0, 1000);
  } else if (escrowed && !ours && v.conversion !== 'FullyDecrypted') {
    state = 'action_required';
    message =
      'The recovery password IT holds was removed from this drive; a new one is being escrowed automatically.';
  } else if (isConverting(v)) {
    state = ours ? 'escrowed' : 'in_progress';
    message = `${conversionWords(v)}: ${v.percentEncrypted}%. You can keep working; the computer may be a little slower.`;
  } else if (ours) state = 'escrowed';
  else state = enabled ? 'in_progress' : 'unknown';
  const encrypted = v.conversion === 'FullyEncrypted';
  return {
    id: volumeRowId(v),
    label: volumeLabel(v),
    device: v.driveLetter || v.deviceId,
    encryption: v.conversion === 'FullyDecrypted' && v.protectors.length === 0 ? 'none' : 'bitlocker',
    encrypted,
    escrow: {
      state,
      // The escrowed password still unlocks this drive even while protection is suspended.
      escrowedAt: ours && state !== 'not_required' ? (escrowed?.escrowed_at ?? null) : null,
      keySlot: null,
      ...(message ? { message } : {}),
    },
    bitlocker: {
      method: ENCRYPTION_METHOD_NAME[v.method] ?? `Method ${v.method}`,
      conversion: v.conversion,
      percentEncrypted: v.percentEncrypted,
      protection: v.protection,
    },
  };
}

function conversionWords(v: BitLockerVolume): string {
  switch (v.conversion) {
    case 'EncryptionInProgress':
      return 'Encrypting';
    case 'EncryptionPaused':
      return 'Encryption paused';
    case 'DecryptionInProgress':
      return 'Decrypting';
    default:
      return 'Decryption paused';
  }
}
