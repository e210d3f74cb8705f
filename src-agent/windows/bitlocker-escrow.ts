import { randomUUID } from 'node:crypto';
import { encryptToCertificate } from '../../node-lib/cms/encrypt.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import { ServerUnavailableError } from '../platform-port.js';
import {
  addRecoveryPassword,
  addTpmProtector,
  deleteProtector,
  prepareVolume,
  readRecoveryPassword,
  readSnapshot,
  startEncryption,
} from './bitlocker-adapter.js';
import { BitLockerError, encryptionPlan } from './bitlocker-errors.js';
import type { BitLockerJournal, BitLockerJournalEntry, EscrowedProtectors } from './bitlocker-journal.js';
import type { BitLockerShell } from './bitlocker-shell.js';
import { type BitLockerVolume, hasTpmProtector, recoveryPasswordIds } from './bitlocker-snapshot.js';

/**
 * TEST ONLY: the boundaries between steps where the fault-injection tests stop the agent (as kill -9
 * would) and start a fresh one on the same state directory and the same machine. Production never sets it.
 */
export const BITLOCKER_CRASH_POINTS = [
  'journal_written', // entry 'pending' on disk, nothing added
  'prepared', // PrepareVolume done
  'password_added', // the protector exists, the journal does not name it yet
  'password_journaled', // 'password_added' with its envelope
  'tpm_added',
  'encryption_started',
  'uploaded', // the server has it, the journal still says 'password_added'
  'acked', // journal 'acked'
  'escrowed_recorded', // our protector recorded, old recovery passwords still there
  'old_removed', // old recovery passwords gone, journal not yet removed
] as const;
export type BitLockerCrashPoint = (typeof BITLOCKER_CRASH_POINTS)[number];

export interface EscrowSteps {
  shell: BitLockerShell;
  journal: BitLockerJournal;
  escrowed: EscrowedProtectors;
  /** POST disk_encryption_key with the envelope; throws ServerUnavailableError while it cannot be sent. */
  sendKey: (base64Envelope: string) => Promise<void>;
  onKeyAcknowledged: () => void;
  log: Logger;
  now: () => Date;
  fault?: (point: BitLockerCrashPoint) => void;
}

export type StepOutcome = 'escrowed' | 'queued';

/** Start an escrow for one volume: the journal entry first, then the steps. */
export async function beginEscrow(
  s: EscrowSteps,
  volume: BitLockerVolume,
  kind: BitLockerJournalEntry['kind'],
  certificatePem: string,
): Promise<StepOutcome> {
  const at = s.now().toISOString();
  const entry: BitLockerJournalEntry = {
    version: 1,
    escrow_id: randomUUID(),
    device_id: volume.deviceId,
    drive: volume.driveLetter,
    kind,
    protectors_before: volume.protectors.map((p) => p.id),
    certificate_pem: certificatePem,
    created_at: at,
    updated_at: at,
    state: 'pending',
    protector_id: null,
    envelope: null,
  };
  await s.journal.write(entry.device_id, entry);
  s.fault?.('journal_written');
  return continueEscrow(s, entry);
}

async function volumeNow(s: EscrowSteps, deviceId: string): Promise<BitLockerVolume> {
  const v = (await readSnapshot(s.shell)).volumes.find((x) => x.deviceId === deviceId);
  if (!v) throw new BitLockerError(`The drive ${deviceId} is no longer there.`, null);
  return v;
}

/**
 * Drive a journal entry to its end from whatever state it is in: used right after beginEscrow() and by
 * reconcile() after a crash. Every step is idempotent against what the volume shows now.
 */
export async function continueEscrow(s: EscrowSteps, start: BitLockerJournalEntry): Promise<StepOutcome> {
  let entry = start;
  const id = entry.device_id;
  if (entry.state === 'pending') {
    let volume = await volumeNow(s, id);
    // A recovery password that was not there before can only be ours: the agent is the only writer here.
    let protectorId = recoveryPasswordIds(volume).find((p) => !entry.protectors_before.includes(p));
    if (!protectorId) {
      if (entry.kind === 'encrypt' && !volume.initialized) {
        await prepareVolume(s.shell, id);
        s.fault?.('prepared');
        volume = await volumeNow(s, id);
      }
      protectorId = await addRecoveryPassword(s.shell, id);
      s.fault?.('password_added');
    }
    const password = await readRecoveryPassword(s.shell, id, protectorId);
    let envelope: string;
    try {
      envelope = (await encryptToCertificate(password, entry.certificate_pem)).toString('base64');
    } finally {
      password.fill(0);
    }
    entry = { ...entry, state: 'password_added', protector_id: protectorId, envelope, updated_at: stamp(s) };
    await s.journal.write(id, entry);
    s.fault?.('password_journaled');
  }
  // Encryption that cannot start (bootable media, TPM off) must not hold back the upload: the password is
  // a protector of the volume already. The error is raised once the key is safe.
  let encryptionError: unknown = null;
  if (entry.state === 'password_added') {
    try {
      await protectAndEncrypt(s, entry.device_id, entry.kind);
    } catch (e) {
      if (!(e instanceof BitLockerError)) throw e;
      encryptionError = e;
    }
    try {
      await s.sendKey(entry.envelope);
    } catch (e) {
      if (e instanceof ServerUnavailableError) {
        s.log.warn(
          { drive: entry.drive, reason: e.message },
          'server unreachable; the recovery password is queued',
        );
        return 'queued';
      }
      throw e;
    }
    s.fault?.('uploaded');
    entry = { ...entry, state: 'acked', updated_at: stamp(s) };
    await s.journal.write(id, entry);
    s.onKeyAcknowledged();
    s.fault?.('acked');
  }
  await finishAcked(s, entry);
  if (encryptionError) throw encryptionError;
  return 'escrowed';
}

/**
 * The OS volume needs a TPM protector to start without a prompt; a clear volume is encrypted now, not
 * after the upload: the password is already journaled (encrypted to the server) and readable from the
 * volume, so nothing is lost if the server is away for days.
 */
export async function protectAndEncrypt(
  s: EscrowSteps,
  deviceId: string,
  kind: BitLockerJournalEntry['kind'],
): Promise<void> {
  const volume = await volumeNow(s, deviceId);
  if (volume.kind === 'os' && !hasTpmProtector(volume)) {
    await addTpmProtector(s.shell, deviceId);
    s.fault?.('tpm_added');
  }
  if (kind === 'encrypt' && volume.conversion === 'FullyDecrypted') {
    const snap = await readSnapshot(s.shell);
    const judged = encryptionPlan(snap, volume);
    if ('conflict' in judged) throw new BitLockerError(judged.conflict, null);
    await startEncryption(s.shell, deviceId, judged.plan);
    s.fault?.('encryption_started');
  }
}

/** After the server's ack, and only then: record our protector, remove the older recovery passwords. */
async function finishAcked(s: EscrowSteps, entry: BitLockerJournalEntry): Promise<void> {
  if (entry.state !== 'acked') throw new Error('finishAcked needs an acknowledged entry');
  await s.escrowed.write(entry.device_id, {
    device_id: entry.device_id,
    protector_id: entry.protector_id,
    escrowed_at: entry.updated_at,
  });
  s.fault?.('escrowed_recorded');
  const volume = await volumeNow(s, entry.device_id);
  for (const old of recoveryPasswordIds(volume)) {
    // Only recovery passwords that were there before this escrow: one added since is not ours to judge.
    if (old === entry.protector_id || !entry.protectors_before.includes(old)) continue;
    try {
      await deleteProtector(s.shell, entry.device_id, old);
      s.log.info({ drive: entry.drive, protector: old }, 'removed an older recovery password');
    } catch (e) {
      s.log.warn(
        { drive: entry.drive, protector: old, err: errorMessage(e) },
        'could not remove an old recovery password',
      );
    }
  }
  s.fault?.('old_removed');
  await s.journal.remove(entry.device_id);
}

const stamp = (s: EscrowSteps) => s.now().toISOString();
