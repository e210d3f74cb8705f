import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { EnrollRequest } from '../../ipc/agent-server/orbit-api.js';
import type { CommandRunner } from '../macos/command-runner.js';

export type HostIdentity = Omit<EnrollRequest, 'enroll_secret'>;

async function firstLine(file: string): Promise<string | null> {
  try {
    const v = (await readFile(file, 'utf8')).split('\n')[0]?.trim();
    return v ? v : null;
  } catch {
    return null;
  }
}

/**
 * What the server uses to recognise this machine across re-enrollment. The DMI UUID (root-readable) names
 * the hardware; virtual machines and containers without one fall back to the systemd machine id.
 */
export async function linuxHostIdentity(): Promise<HostIdentity> {
  const uuid =
    (await firstLine('/sys/class/dmi/id/product_uuid')) ??
    (await firstLine('/etc/machine-id')) ??
    os.hostname();
  const osRelease = (await readFile('/etc/os-release', 'utf8').catch(() => '')) as string;
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return {
    hardware_uuid: uuid.slice(0, 128),
    hardware_serial: ((await firstLine('/sys/class/dmi/id/product_serial')) ?? '').slice(0, 256),
    hostname: os.hostname().slice(0, 256),
    platform: 'linux',
    os_version: (pretty ?? `${os.type()} ${os.release()}`).slice(0, 256),
  };
}

const IOREG = '/usr/sbin/ioreg';
const SW_VERS = '/usr/bin/sw_vers';

/** `"IOPlatformUUID" = "…"` in `ioreg -rd1 -c IOPlatformExpertDevice` (strings are quoted, data is <hex>). */
export function ioregString(stdout: string, key: string): string | null {
  const m = new RegExp(`^\\s*"${key}" = "([^"]*)"\\s*$`, 'm').exec(stdout);
  return m?.[1] ? m[1] : null;
}

/**
 * macOS: the platform UUID survives reinstalls and names the logic board, as MDMs use it; the serial is
 * what admins search for. Both come from the IOPlatformExpertDevice entry (readable without root).
 */
export function macHostIdentity(runner: CommandRunner): () => Promise<HostIdentity> {
  return async () => {
    const ioreg = await runner.run(IOREG, ['-rd1', '-c', 'IOPlatformExpertDevice']);
    const uuid = ioreg.code === 0 ? ioregString(ioreg.stdout, 'IOPlatformUUID') : null;
    if (!uuid) {
      throw new Error(`ioreg printed no IOPlatformUUID (exit ${ioreg.code}); cannot enroll this Mac`);
    }
    const sw = await runner.run(SW_VERS, ['-productVersion']);
    const version = sw.code === 0 ? sw.stdout.trim() : '';
    return {
      hardware_uuid: uuid.slice(0, 128),
      hardware_serial: (ioregString(ioreg.stdout, 'IOPlatformSerialNumber') ?? '').slice(0, 256),
      hostname: os.hostname().slice(0, 256),
      platform: 'darwin',
      os_version: (version ? `macOS ${version}` : `Darwin ${os.release()}`).slice(0, 256),
    };
  };
}
