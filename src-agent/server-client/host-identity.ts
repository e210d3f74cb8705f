import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { EnrollRequest } from '../../src-server/api/agent-api.js';

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
