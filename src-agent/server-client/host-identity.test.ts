import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { FixtureRunner, loadRecording } from '../macos/test-support/fixture-runner.js';
import { ioregString, macHostIdentity } from './host-identity.js';

describe('macHostIdentity', () => {
  it('reads the platform UUID and serial from ioreg and the version from sw_vers', async () => {
    const runner = new FixtureRunner([
      loadRecording('ioreg-platform-expert-device'),
      loadRecording('sw-vers-productversion'),
    ]);
    expect(await macHostIdentity(runner)()).toEqual({
      hardware_uuid: '3F6C9A2E-8B1D-5E47-9C20-7A4D1B6E0F52',
      hardware_serial: 'C24X12JLMD',
      hostname: os.hostname().slice(0, 256),
      platform: 'darwin',
      os_version: 'macOS 14.5',
    });
    expect(runner.commandLines()).toEqual([
      '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice',
      '/usr/bin/sw_vers -productVersion',
    ]);
  });

  it('refuses to enroll without a UUID rather than inventing one', async () => {
    const ioreg = loadRecording('ioreg-platform-expert-device');
    const runner = new FixtureRunner([
      { ...ioreg, stdout: ioreg.stdout.replace(/.*IOPlatformUUID.*\n/, '') },
    ]);
    await expect(macHostIdentity(runner)()).rejects.toThrow(/no IOPlatformUUID/);
  });

  it('takes quoted strings only (data values are <hex>)', () => {
    const out = '      "serial-number" = <4332>\n      "IOPlatformSerialNumber" = "C02ABC"\n';
    expect(ioregString(out, 'IOPlatformSerialNumber')).toBe('C02ABC');
    expect(ioregString(out, 'serial-number')).toBeNull();
  });
});
