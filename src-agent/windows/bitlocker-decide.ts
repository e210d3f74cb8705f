import type { ServerWishes } from '../platform-port.js';
import { encryptionPlan } from './bitlocker-errors.js';
import type { BitLockerJournalEntry, EscrowedProtector } from './bitlocker-journal.js';
import { type BitLockerSnapshot, type BitLockerVolume, isConverting } from './bitlocker-snapshot.js';

/**
 * What the agent does about one volume now, decided from what BitLocker shows, what the agent escrowed, and
 * what the server wants. Pure: tested against every recorded state.
 */
export type Decision =
  | { do: 'nothing'; why: 'not_managed' | 'server_os' | 'locked' | 'converting' | 'escrowed' | 'no_policy' }
  /** A journal entry is open: finish it (a crash or an unreachable server left it). */
  | { do: 'continue'; entry: BitLockerJournalEntry }
  /** Clear volume: recovery password + TPM, encrypt, escrow. */
  | { do: 'encrypt' }
  /** Our escrowed password is on the clear volume (encryption could not start before): TPM + encrypt. */
  | { do: 'start_encryption' }
  /** Encrypted: add a new recovery password, escrow it, then remove the older ones. Never decrypt. */
  | { do: 'replace'; reason: 'not_escrowed' | 'protector_removed' | 'rotation_requested' }
  /** Cannot be done; the message says why and what to do, and whether the user (not IT) can fix it. */
  | { do: 'refuse'; message: string; userCanFix: boolean };

export interface DecideInput {
  snapshot: BitLockerSnapshot;
  volume: BitLockerVolume;
  escrowed: EscrowedProtector | null;
  journal: BitLockerJournalEntry | null;
  server: ServerWishes;
}

/** Fleet escrows the OS volume only (fleetdm/fleet#27903); data drives are shown, not escrowed (yet). */
export function isManaged(v: BitLockerVolume): boolean {
  return v.kind === 'os';
}

/** The escrowed protector is still on the volume (fleetdm/fleet#40430, #23655). */
export function escrowedProtectorPresent(v: BitLockerVolume, e: EscrowedProtector | null): boolean {
  return e !== null && e.device_id === v.deviceId && v.protectors.some((p) => p.id === e.protector_id);
}

export function decide(i: DecideInput): Decision {
  const { snapshot, volume, escrowed, journal, server } = i;
  if (!isManaged(volume)) return { do: 'nothing', why: 'not_managed' };
  if (!snapshot.os.workstation) return { do: 'nothing', why: 'server_os' };
  if (journal) return { do: 'continue', entry: journal };
  if (server.config?.disk_encryption.enabled !== true) return { do: 'nothing', why: 'no_policy' };
  if (volume.locked) return { do: 'nothing', why: 'locked' };
  if (isConverting(volume)) return { do: 'nothing', why: 'converting' };
  const ours = escrowedProtectorPresent(volume, escrowed);
  const judged = encryptionPlan(snapshot, volume);
  if ('conflict' in judged) return { do: 'refuse', message: judged.conflict, userCanFix: false };
  if (volume.conversion === 'FullyDecrypted') {
    if (!snapshot.tpm.ready) {
      return {
        do: 'refuse',
        message: snapshot.tpm.present
          ? 'The TPM is turned off or not ready: turn it on in the firmware (UEFI/BIOS) settings, then restart; BitLocker needs it to encrypt the Windows drive.'
          : 'No TPM was found on this computer; BitLocker needs one to encrypt the Windows drive. Ask IT.',
        userCanFix: snapshot.tpm.present,
      };
    }
    return ours ? { do: 'start_encryption' } : { do: 'encrypt' };
  }
  if (!ours) {
    return { do: 'replace', reason: escrowed ? 'protector_removed' : 'not_escrowed' };
  }
  if (server.newKeyRequested) return { do: 'replace', reason: 'rotation_requested' };
  return { do: 'nothing', why: 'escrowed' };
}
