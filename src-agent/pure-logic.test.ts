import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConfigResponse } from '../ipc/agent-server/orbit-api.js';
import { readPassphraseFromStream } from './cli/read-passphrase.js';
import { allowedUsers } from './ipc-server/allowed-users.js';
import { parseSessionRecord } from './ipc-server/logind-sessions.js';
import type { LuksStatus } from './linux/index.js';
import { linuxState } from './linux/linux-platform.js';
import { macState } from './macos/macos-platform.js';
import { retryDelay } from './server-client/retry-delay.js';
import { buildDeviceStatus, promptIsDue } from './status-builder.js';

const luks = (over: Partial<LuksStatus> = {}): LuksStatus => ({
  device: '/dev/nvme0n1p3',
  uuid: 'b1f0c7c2-0000-4000-8000-000000000001',
  encrypted: true,
  luks2: true,
  freeSlots: 30,
  ourSlot: null,
  salt: null,
  tokenState: 'none',
  escrowedAt: null,
  pendingUpload: false,
  needsKey: true,
  hostChange: null,
  staleSlots: [],
  attemptsLeft: 5,
  cooldownUntil: null,
  ...over,
});

const config = (over: { enabled?: boolean; escrow?: boolean; rotate?: boolean } = {}): ConfigResponse => ({
  config_version: 'v1',
  notifications: {
    run_disk_encryption_escrow: over.escrow ?? false,
    rotate_disk_encryption_key: over.rotate ?? false,
    enforce_bitlocker_encryption: false,
  },
  escrow_certificate: '-----BEGIN CERTIFICATE-----',
  org_info: { org_name: 'Acme', contact_url: 'https://help.acme.example' },
  disk_encryption: { enabled: over.enabled ?? true },
});

const escrowed = {
  ourSlot: 4,
  salt: 's',
  tokenState: 'escrowed' as const,
  needsKey: false,
  escrowedAt: '2026-01-01T00:00:00.000Z',
};

describe('linuxState: LUKS status + server wishes → volume, action, report', () => {
  it('asks for the passphrase when encryption is enabled and no key of ours exists', () => {
    const s = linuxState(luks(), config({ escrow: true }));
    expect(s.action).toMatchObject({ kind: 'luks_passphrase', reason: 'no_key', volumeId: luks().uuid });
    expect(s.volumes[0]?.escrow.state).toBe('action_required');
    expect(s.report.luks).toMatchObject({ token_state: 'none', key_slot: null });
  });

  it('says key_removed when our slot vanished on the host', () => {
    const s = linuxState(luks({ hostChange: 'removed' }), config({ escrow: true }));
    expect(s.action).toMatchObject({ reason: 'key_removed' });
    expect(s.volumes[0]?.escrow.message).toContain('removed');
  });

  it('asks nothing when encryption is off, and nothing before the first config', () => {
    expect(linuxState(luks(), config({ enabled: false })).action).toBeNull();
    expect(linuxState(luks(), config({ enabled: false })).volumes[0]?.escrow.state).toBe('not_required');
    expect(linuxState(luks(), null).action).toBeNull();
    expect(linuxState(luks(), null).volumes[0]?.escrow.state).toBe('unknown');
  });

  it('escrowed key: no action unless the server asks for a new one; a queued key is never re-asked', () => {
    expect(linuxState(luks(escrowed), config()).volumes[0]?.escrow).toMatchObject({
      state: 'escrowed',
      keySlot: 4,
    });
    expect(linuxState(luks(escrowed), config({ rotate: true })).action).toMatchObject({
      reason: 'rotation_requested',
    });
    const queued = linuxState(
      luks({ ...escrowed, tokenState: 'pending', pendingUpload: true }),
      config({ escrow: true }),
    );
    expect(queued.action).toBeNull();
    expect(queued.volumes[0]?.escrow.state).toBe('uploading');
  });

  it('a config from before the server acked our key does not count as a rotation request', () => {
    const stale = linuxState(luks(escrowed), config({ escrow: true }), true);
    expect(stale.action).toBeNull();
    expect(stale.volumes[0]?.escrow.state).toBe('escrowed');
    // The same config, not yet answered, is a request for a new key.
    expect(linuxState(luks(escrowed), config({ escrow: true }), false).action).toMatchObject({
      reason: 'rotation_requested',
    });
  });

  it('a LUKS1 or unencrypted disk fails clearly when escrow is wanted', () => {
    const v1 = linuxState(luks({ luks2: false, uuid: null }), config());
    expect(v1.volumes[0]).toMatchObject({ encryption: 'luks1', escrow: { state: 'failed' } });
    expect(v1.report.luks).toBeUndefined();
    const none = linuxState(luks({ luks2: false, encrypted: false, uuid: null }), config());
    expect(none.volumes[0]?.encryption).toBe('none');
    expect(none.report.boot_volume_encrypted).toBe(false);
  });
});

describe('buildDeviceStatus', () => {
  const base = {
    agentVersion: '0.1.0',
    platform: 'linux' as const,
    hostname: 'h',
    server: { state: 'connected' as const, url: 'https://e', lastContactAt: null },
    config: config(),
    platformState: linuxState(luks({ cooldownUntil: '2026-01-01T10:10:00.000Z' }), config()),
    remindAt: null,
    escrowRunning: false,
    now: new Date('2026-01-01T10:00:00Z'),
  };

  it('carries the cool-down and the organization; a future reminder snoozes the prompt', () => {
    const s = buildDeviceStatus(base);
    expect(s.action).toMatchObject({ cooldownUntil: '2026-01-01T10:10:00.000Z', remindAt: null });
    expect(s.organization).toEqual({ name: 'Acme', contactUrl: 'https://help.acme.example' });
    expect(promptIsDue(s)).toBe(true);
    const snoozed = buildDeviceStatus({ ...base, remindAt: '2026-01-01T14:00:00.000Z' });
    expect(snoozed.action).toMatchObject({ remindAt: '2026-01-01T14:00:00.000Z' });
    expect(promptIsDue(snoozed)).toBe(false);
    const expired = buildDeviceStatus({ ...base, remindAt: '2026-01-01T09:00:00.000Z' });
    expect(promptIsDue(expired)).toBe(true);
  });

  it('while an escrow runs, the volume is in_progress and no prompt is shown', () => {
    const s = buildDeviceStatus({ ...base, escrowRunning: true });
    expect(s.volumes[0]?.escrow.state).toBe('in_progress');
    expect(s.action).toBeNull();
  });
});

describe('small pieces', () => {
  it('retry grows exponentially, is capped, and never drops below half the base', () => {
    const p = { baseMs: 1000, maxMs: 60_000 };
    expect(retryDelay(0, p, () => 0.999)).toBe(999);
    expect(retryDelay(3, p, () => 0.999)).toBe(7992);
    expect(retryDelay(20, p, () => 0.999)).toBe(59_940);
    expect(retryDelay(5, p, () => 0)).toBe(500);
  });

  it('logind records: local user sessions count, remote, greeter and closing ones do not', () => {
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=0\nCLASS=user\n')).toEqual({
      uid: 1000,
      name: 'alice',
    });
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=online\nCLASS=user\n')).not.toBeNull();
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=1\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('UID=115\nUSER=gdm\nSTATE=active\nCLASS=greeter\n')).toBeNull();
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=closing\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('garbage')).toBeNull();
  });

  it('allowed users: root always, deduplicated by uid', () => {
    const users = allowedUsers(
      [{ uid: 1000, name: 'alice' }],
      [
        { uid: 1000, name: 'alice' },
        { uid: 1001, name: 'bob' },
      ],
    );
    expect(users.map((u) => u.uid)).toEqual([0, 1000, 1001]);
  });

  it('passphrase from stdin: exactly one trailing newline removed, spaces and Unicode kept', async () => {
    const read = (s: string | Buffer) => readPassphraseFromStream(Readable.from([Buffer.from(s)]));
    expect((await read('pass word \n')).toString()).toBe('pass word ');
    expect((await read('pass\n\n')).toString()).toBe('pass\n');
    expect((await read('pässwörd ✓\r\n')).toString()).toBe('pässwörd ✓');
    expect((await read('no newline')).toString()).toBe('no newline');
    expect((await read('')).length).toBe(0);
  });
});

describe('macState: FileVault status → volume, log-out action, report', () => {
  const fv = {
    fileVaultOn: true,
    hasPrk: true,
    escrowBuddyInstalled: true,
    mechanismPresent: true,
    generateNewKey: false,
    pendingLogout: false,
  };
  const withDeadline: ConfigResponse = {
    ...config({ rotate: true }),
    disk_encryption: { enabled: true, logout_deadline: '2026-02-01T00:00:00Z', max_deferrals: 3 },
  };

  it('a pending log-out is the action, with the server’s deadline and deferrals', () => {
    const s = macState({ ...fv, pendingLogout: true }, withDeadline);
    expect(s.action).toEqual({
      kind: 'macos_logout',
      deadline: '2026-02-01T00:00:00Z',
      deferralsLeft: 3,
      nextPromptAt: null,
    });
    expect(s.report).toEqual({
      platform: 'darwin',
      boot_volume_encrypted: true,
      filevault: { enabled: true, has_personal_recovery_key: true },
    });
  });

  it('FileVault off fails clearly; a verified PRK is escrowed; policy off is not required', () => {
    expect(macState({ ...fv, fileVaultOn: false }, config()).volumes[0]?.escrow.state).toBe('failed');
    expect(macState(fv, config()).volumes[0]?.escrow.state).toBe('escrowed');
    expect(macState(fv, config({ enabled: false })).volumes[0]?.escrow.state).toBe('not_required');
    expect(macState(fv, config({ enabled: false })).action).toBeNull();
  });
});
