import { z } from 'zod';
import { text } from '../../ipc/schema-helpers.js';

/**
 * What `read-state` prints (bitlocker-scripts.ts), validated, and the meanings of WMI's numbers
 * (Win32_EncryptableVolume: GetConversionStatus, GetProtectionStatus, GetEncryptionMethod,
 * GetKeyProtectorType; Win32_OperatingSystem.ProductType).
 */

export const CONVERSION_STATUS = [
  'FullyDecrypted',
  'FullyEncrypted',
  'EncryptionInProgress',
  'DecryptionInProgress',
  'EncryptionPaused',
  'DecryptionPaused',
] as const;
export type ConversionStatus = (typeof CONVERSION_STATUS)[number];

export const PROTECTOR_TYPE = {
  tpm: 1,
  externalKey: 2,
  numericalPassword: 3,
  tpmAndPin: 4,
  tpmAndStartupKey: 5,
  tpmAndPinAndStartupKey: 6,
  publicKey: 7,
  passphrase: 8,
  tpmCertificate: 9,
  sid: 10,
} as const;

/** Protectors that unlock the OS volume at boot through the TPM (with or without PIN / startup key). */
const TPM_TYPES: ReadonlySet<number> = new Set([1, 4, 5, 6]);

export const ENCRYPTION_METHOD_NAME: Readonly<Record<number, string>> = {
  0: 'None',
  1: 'AES-128 with Diffuser',
  2: 'AES-256 with Diffuser',
  3: 'AES-CBC-128',
  4: 'AES-CBC-256',
  5: 'Hardware encryption',
  6: 'XTS-AES-128',
  7: 'XTS-AES-256',
};

/** `VolumeKeyProtectorID`: a GUID in braces, as WMI prints it. */
export const ProtectorId = z.string().regex(/^\{[0-9A-Fa-f-]{36}\}$/, 'not a key protector ID');
/** `\\?\Volume{GUID}\` */
export const DeviceId = text(256).regex(/^\\\\\?\\Volume\{[0-9A-Fa-f-]{36}\}\\$/, 'not a volume device ID');

const Int = z.number().int();

const RawVolume = z.object({
  DeviceID: DeviceId,
  DriveLetter: text(8),
  VolumeType: Int,
  IsVolumeInitializedForProtection: z.boolean(),
  ConversionReturnValue: Int,
  ConversionStatus: Int,
  EncryptionPercentage: Int.min(0).max(100),
  ProtectionStatus: Int,
  EncryptionMethod: Int,
  KeyProtectors: z.array(z.object({ Id: ProtectorId, Type: Int })).max(64),
});

export const RawSnapshot = z.object({
  OS: z.object({ ProductType: Int, Caption: text(256), Version: text(64) }),
  Tpm: z
    .object({
      IsEnabled: z.boolean(),
      IsActivated: z.boolean(),
      IsOwned: z.boolean(),
      SpecVersion: text(256),
    })
    .nullable(),
  Policy: z.record(z.string(), Int),
  Volumes: z.array(RawVolume).max(64),
});

export interface KeyProtector {
  id: string;
  type: number;
}

export interface BitLockerVolume {
  deviceId: string;
  /** 'C:'; '' for a volume without a letter (e.g. mounted in a folder). */
  driveLetter: string;
  kind: 'os' | 'fixed' | 'removable';
  /** BitLocker answered FVE_E_LOCKED_VOLUME: a data drive nobody has unlocked. */
  locked: boolean;
  initialized: boolean;
  conversion: ConversionStatus;
  percentEncrypted: number;
  protection: 'off' | 'on' | 'unknown';
  method: number;
  protectors: KeyProtector[];
}

export interface BitLockerSnapshot {
  os: { workstation: boolean; caption: string; version: string };
  tpm: { present: boolean; ready: boolean };
  policy: Readonly<Record<string, number>>;
  volumes: BitLockerVolume[];
}

const FVE_E_LOCKED_VOLUME = 0x80310000;

export function parseSnapshot(stdout: string): BitLockerSnapshot {
  const raw = RawSnapshot.parse(JSON.parse(stdout));
  return {
    // 1 = workstation; 2 = domain controller, 3 = server: Fleet skips Windows Server, and so do we.
    os: { workstation: raw.OS.ProductType === 1, caption: raw.OS.Caption, version: raw.OS.Version },
    tpm: {
      present: raw.Tpm !== null,
      ready: raw.Tpm?.IsEnabled === true && raw.Tpm.IsActivated,
    },
    policy: raw.Policy,
    volumes: raw.Volumes.map((v) => ({
      deviceId: v.DeviceID,
      driveLetter: v.DriveLetter,
      kind: v.VolumeType === 0 ? 'os' : v.VolumeType === 1 ? 'fixed' : 'removable',
      locked: v.ConversionReturnValue === FVE_E_LOCKED_VOLUME,
      initialized: v.IsVolumeInitializedForProtection,
      conversion: CONVERSION_STATUS[v.ConversionStatus] ?? 'FullyDecrypted',
      percentEncrypted: v.EncryptionPercentage,
      protection: v.ProtectionStatus === 1 ? 'on' : v.ProtectionStatus === 0 ? 'off' : 'unknown',
      method: v.EncryptionMethod,
      protectors: v.KeyProtectors.map((k) => ({ id: k.Id, type: k.Type })),
    })),
  };
}

export function recoveryPasswordIds(v: BitLockerVolume): string[] {
  return v.protectors.filter((p) => p.type === PROTECTOR_TYPE.numericalPassword).map((p) => p.id);
}

export function hasTpmProtector(v: BitLockerVolume): boolean {
  return v.protectors.some((p) => TPM_TYPES.has(p.type));
}

export function isConverting(v: BitLockerVolume): boolean {
  return v.conversion !== 'FullyDecrypted' && v.conversion !== 'FullyEncrypted';
}

export function volumeLabel(v: BitLockerVolume): string {
  const where = v.driveLetter || 'a drive without a letter';
  return v.kind === 'os' ? `Windows (${where})` : `Data drive (${where})`;
}
