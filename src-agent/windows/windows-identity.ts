import os from 'node:os';
import type { HostIdentity } from '../server-client/host-identity.js';
import { readHostIdentity } from './bitlocker-adapter.js';
import type { BitLockerShell } from './bitlocker-shell.js';

/** Placeholder UUIDs some firmware ships instead of a real one: never a machine's identity. */
const NOT_A_UUID = new Set([
  '',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
]);

/**
 * Windows: the SMBIOS UUID (Win32_ComputerSystemProduct) names the hardware across reinstalls, as MDMs use
 * it; the BIOS serial is what admins search for.
 */
export function windowsHostIdentity(shell: BitLockerShell): () => Promise<HostIdentity> {
  return async () => {
    const id = await readHostIdentity(shell);
    const uuid = id.UUID.trim().toUpperCase();
    if (NOT_A_UUID.has(uuid))
      throw new Error(`the firmware reports no usable UUID (${uuid || 'empty'}); cannot enroll`);
    return {
      hardware_uuid: uuid.slice(0, 128),
      hardware_serial: id.SerialNumber.trim().slice(0, 256),
      hostname: os.hostname().slice(0, 256),
      platform: 'windows',
      os_version: `${id.Caption} ${id.Version}`.trim().slice(0, 256),
    };
  };
}
