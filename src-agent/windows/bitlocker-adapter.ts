import { z } from 'zod';
import { BitLockerError, describeHresult } from './bitlocker-errors.js';
import type { BitLockerOp } from './bitlocker-scripts.js';
import type { BitLockerShell, ShellParams, ShellResult } from './bitlocker-shell.js';
import { type BitLockerSnapshot, ProtectorId, parseSnapshot } from './bitlocker-snapshot.js';

/**
 * BitLocker operations over the shell port, each answer validated. A non-zero HRESULT becomes a
 * BitLockerError whose message says in words what failed (bitlocker-errors.ts).
 */

const ScriptFailure = z.object({ error: z.string().max(4096), hresult: z.number().int() });
const MethodAnswer = z.looseObject({ ReturnValue: z.number().int() });

const DURING: Record<BitLockerOp, string> = {
  'read-state': 'Reading the BitLocker state',
  'host-identity': 'Reading the computer identity',
  'prepare-volume': 'Preparing the drive for BitLocker',
  'add-recovery-password': 'Adding a recovery password',
  'read-recovery-password': 'Reading the recovery password',
  'add-tpm-protector': 'Adding the TPM protector',
  encrypt: 'Starting encryption',
  'delete-protector': 'Removing an old recovery password',
};

function failure(op: BitLockerOp, r: ShellResult, text: string): BitLockerError {
  let parsed: z.infer<typeof ScriptFailure> | null = null;
  try {
    parsed = ScriptFailure.parse(JSON.parse(text));
  } catch {}
  if (parsed) return new BitLockerError(describeHresult(parsed.hresult, DURING[op]), parsed.hresult >>> 0);
  const detail = (r.stderr || text).trim().slice(0, 500);
  return new BitLockerError(`${DURING[op]} failed: PowerShell exited ${r.code}: ${detail}`, null);
}

/** Run a method script; a non-zero ReturnValue is an error. Returns the answer's other fields. */
async function call(
  shell: BitLockerShell,
  op: BitLockerOp,
  params: ShellParams,
): Promise<Record<string, unknown>> {
  const r = await shell.run(op, params);
  const text = r.stdout.toString('utf8');
  if (r.code !== 0) throw failure(op, r, text);
  const answer = MethodAnswer.parse(JSON.parse(text));
  if (answer.ReturnValue !== 0) {
    throw new BitLockerError(describeHresult(answer.ReturnValue, DURING[op]), answer.ReturnValue >>> 0);
  }
  return answer;
}

export async function readSnapshot(shell: BitLockerShell): Promise<BitLockerSnapshot> {
  const r = await shell.run('read-state');
  const text = r.stdout.toString('utf8');
  if (r.code !== 0) throw failure('read-state', r, text);
  return parseSnapshot(text);
}

export async function prepareVolume(shell: BitLockerShell, deviceId: string): Promise<void> {
  await call(shell, 'prepare-volume', { deviceId });
}

/** Windows generates the 48-digit password; we get only the new protector's ID here. */
export async function addRecoveryPassword(shell: BitLockerShell, deviceId: string): Promise<string> {
  const a = await call(shell, 'add-recovery-password', { deviceId });
  return ProtectorId.parse(a.VolumeKeyProtectorID);
}

export async function addTpmProtector(shell: BitLockerShell, deviceId: string): Promise<string> {
  const a = await call(shell, 'add-tpm-protector', { deviceId });
  return ProtectorId.parse(a.VolumeKeyProtectorID);
}

export async function startEncryption(
  shell: BitLockerShell,
  deviceId: string,
  plan: { method: number; flags: number },
): Promise<void> {
  await call(shell, 'encrypt', { deviceId, method: plan.method, flags: plan.flags });
}

export async function deleteProtector(
  shell: BitLockerShell,
  deviceId: string,
  protectorId: string,
): Promise<void> {
  await call(shell, 'delete-protector', { deviceId, protectorId });
}

const MARKER = Buffer.from('"NumericalPassword":"');
const PASSWORD_LENGTH = 55; // 8 groups of 6 digits and 7 dashes

/**
 * The recovery password of one protector, as a Buffer the caller wipes. It is copied out of PowerShell's
 * stdout byte by byte and blanked there before the rest of the answer is parsed, so it never becomes a
 * JavaScript string (which could not be wiped).
 */
export async function readRecoveryPassword(
  shell: BitLockerShell,
  deviceId: string,
  protectorId: string,
): Promise<Buffer> {
  const r = await shell.run('read-recovery-password', { deviceId, protectorId });
  try {
    const at = r.stdout.indexOf(MARKER);
    let password = Buffer.alloc(0);
    if (at >= 0) {
      // The value runs to the closing quote; it is blanked with digits so the JSON stays parseable.
      const start = at + MARKER.length;
      const end = r.stdout.indexOf(0x22, start);
      const stop = end < 0 ? r.stdout.length : end;
      password = Buffer.alloc(Math.min(stop - start, PASSWORD_LENGTH + 1));
      r.stdout.copy(password, 0, start, start + password.length);
      r.stdout.fill('0', start, stop);
    }
    const text = r.stdout.toString('utf8');
    if (r.code !== 0) throw failure('read-recovery-password', r, text);
    const answer = MethodAnswer.parse(JSON.parse(text));
    if (answer.ReturnValue !== 0) {
      throw new BitLockerError(describeHresult(answer.ReturnValue, DURING['read-recovery-password']), null);
    }
    if (at < 0 || !isRecoveryPasswordBytes(password)) {
      password.fill(0);
      throw new BitLockerError('BitLocker answered without a well-formed 48-digit recovery password', null);
    }
    return password;
  } finally {
    r.stdout.fill(0);
  }
}

/**
 * 8 groups of 6 ASCII digits joined by dashes, each group a multiple of 11 below 720896 (how BitLocker
 * encodes 16 bits per group), checked on the bytes: no string copy of the secret is made.
 */
export function isRecoveryPasswordBytes(b: Buffer): boolean {
  if (b.length !== PASSWORD_LENGTH) return false;
  let group = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (i % 7 === 6) {
      if (c !== 0x2d || group % 11 !== 0 || group >= 720896) return false;
      group = 0;
    } else if (c >= 0x30 && c <= 0x39) group = group * 10 + (c - 0x30);
    else return false;
  }
  return group % 11 === 0 && group < 720896;
}

const Identity = z.object({
  UUID: z.string().max(128),
  SerialNumber: z.string().max(256),
  Caption: z.string().max(256),
  Version: z.string().max(64),
});

export async function readHostIdentity(shell: BitLockerShell): Promise<z.infer<typeof Identity>> {
  const r = await shell.run('host-identity');
  const text = r.stdout.toString('utf8');
  if (r.code !== 0) throw failure('host-identity', r, text);
  return Identity.parse(JSON.parse(text));
}
