import type { BitLockerSnapshot, BitLockerVolume } from './bitlocker-snapshot.js';

/**
 * BitLocker answers with HRESULTs (winerror.h, FACILITY_FVE = 0x31). The common ones in words a person can
 * act on; every failure still goes to the server as `client_error` with its code, so none is silently lost
 * (fleetdm/fleet#14546).
 */
const HRESULT_TEXT: Readonly<Record<number, string>> = {
  2150694912: 'The drive is locked by BitLocker; unlock it first.',
  2150694920: 'BitLocker is not turned on for this drive.',
  2150694936: 'The TPM has no owner yet; open tpm.msc or restart so Windows can prepare it.',
  2150694941: 'The last key protector of an encrypted drive cannot be removed.',
  2150694960:
    'BitLocker found a bootable CD, DVD or USB drive in the computer; remove it and restart before BitLocker can start.',
  2150694961: 'Only one key protector of this type is allowed for this drive.',
  2150694969: 'The drive must be fully decrypted for this step.',
  2150694975: 'The TPM is turned off in the firmware (UEFI/BIOS) settings.',
  2150695004: 'Group Policy does not allow a 48-digit recovery password on this drive.',
  2150695005: 'Group Policy requires a recovery password that could not be created.',
  2150695014: 'Group Policy does not allow the TPM to unlock this drive at startup.',
  2150695018: 'Group Policy does not allow a password protector.',
  2150695084: 'A TPM key protector cannot be added because a password protector exists on the drive.',
  2150121487: 'No TPM was found on this computer; BitLocker needs one to encrypt the Windows drive.',
  2147942405: 'Access denied: the escrow agent must run as LocalSystem.',
};

export function hresultHex(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** "What happened (0x8031…)": the message to show and to send as `client_error`. */
export function describeHresult(code: number, during: string): string {
  const known = HRESULT_TEXT[code >>> 0];
  return `${during} failed: ${known ?? 'BitLocker returned an error'} (${hresultHex(code)})`;
}

/** Failures the person at the computer can fix (the notice says how); the others are for IT. */
const USER_CAN_FIX: ReadonlySet<number> = new Set([0x80310000, 0x80310018, 0x80310030, 0x8031003f]);

/** A BitLocker method answered a non-zero HRESULT, or the script itself failed, or the plan is refused. */
export class BitLockerError extends Error {
  readonly userCanFix: boolean;
  constructor(
    message: string,
    readonly hresult: number | null,
    userCanFix?: boolean,
  ) {
    super(message);
    this.name = 'BitLockerError';
    this.userCanFix = userCanFix ?? (hresult !== null && USER_CAN_FIX.has(hresult >>> 0));
  }
}

/**
 * What Group Policy (HKLM\SOFTWARE\Policies\Microsoft\FVE) says about our plan for a volume:
 * the method and space to encrypt, or why it cannot be done at all. Where a policy picks a method or full
 * encryption we follow it (the admin who set it is the authority); where it forbids a recovery password or
 * the TPM, the escrow cannot happen and we say which setting forbids it.
 */
export interface EncryptionPlan {
  method: number;
  /** Encrypt() flags: 1 = used space only, 0 = full. */
  flags: number;
}

const XTS_AES_256 = 7;
const USED_SPACE_ONLY = 1;
const ALLOWED_METHODS: ReadonlySet<number> = new Set([3, 4, 6, 7]);

export function encryptionPlan(
  snap: BitLockerSnapshot,
  volume: BitLockerVolume,
): { plan: EncryptionPlan } | { conflict: string } {
  const os = volume.kind === 'os';
  const p = snap.policy;
  const recovery = os ? p.OSRecovery : p.FDVRecovery;
  const password = os ? p.OSRecoveryPassword : p.FDVRecoveryPassword;
  // OSRecoveryPassword only applies when OSRecovery (the "choose how drives can be recovered" policy) is on.
  if (recovery === 1 && password === 0) {
    const name = os ? 'OSRecoveryPassword' : 'FDVRecoveryPassword';
    return {
      conflict: `Group Policy forbids a 48-digit recovery password on this drive (${name} = 0 under HKLM\\SOFTWARE\\Policies\\Microsoft\\FVE); ask IT to allow it.`,
    };
  }
  if (os && p.UseAdvancedStartup === 1 && p.UseTPM === 0) {
    return {
      conflict:
        'Group Policy forbids unlocking the Windows drive with the TPM alone (UseTPM = 0 under HKLM\\SOFTWARE\\Policies\\Microsoft\\FVE); ask IT to allow it.',
    };
  }
  const wanted = os ? p.EncryptionMethodWithXtsOs : p.EncryptionMethodWithXtsFdv;
  const method = wanted !== undefined && ALLOWED_METHODS.has(wanted) ? wanted : XTS_AES_256;
  // 1 = full encryption, 2 = used space only, 0 / absent = the user (here: we) may choose.
  const type = os ? p.OSEncryptionType : p.FDVEncryptionType;
  return { plan: { method, flags: type === 1 ? 0 : USED_SPACE_ONLY } };
}
