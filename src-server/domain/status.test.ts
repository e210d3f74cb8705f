import { describe, expect, it } from 'vitest';
import type { DiskEncryptionStatusRequest, Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowedKey, HostView } from '../storage/port.js';
import { hostNotifications } from './notifications.js';
import { diskEncryptionStatus, summarize } from './status.js';

function view(
  platform: Platform,
  opts: {
    key?: Partial<EscrowedKey> | null;
    enabled?: boolean;
    report?: Omit<DiskEncryptionStatusRequest, 'orbit_node_key'>;
    rotate?: boolean;
    removing?: boolean;
  } = {},
): HostView {
  return {
    host: {
      id: 1,
      hardware_uuid: 'u',
      hardware_serial: 's',
      hostname: 'h',
      platform,
      os_version: 'x',
      team_id: null,
      enrolled_at: '2026-01-01T00:00:00.000Z',
      last_seen_at: '2026-01-01T00:00:00.000Z',
      reported_status: opts.report ? JSON.stringify(opts.report) : null,
      rotate_requested: opts.rotate ?? false,
      removing_enforcement: opts.removing ?? false,
      logged_in_user: null,
      disk_encryption_status: 'pending' as never,
    },
    key:
      opts.key === null || opts.key === undefined
        ? null
        : {
            host_id: 1,
            base64_encrypted: 'AAAA',
            key_slot: 1,
            salt: 'salt',
            client_error: '',
            decryptable: true,
            version: 1,
            escrow_id: null,
            created_at: '',
            updated_at: '',
            ...opts.key,
          },
    encryption_enabled: opts.enabled ?? true,
    policy: { logout_deadline: null, max_deferrals: null, reason_required: true, rotate_after_reveal: false },
  };
}

const luksReport = (luks: NonNullable<DiskEncryptionStatusRequest['luks']>, encrypted = true) => ({
  platform: 'linux' as const,
  boot_volume_encrypted: encrypted,
  luks,
  agent_version: '1',
});

const status = (v: HostView) => diskEncryptionStatus(v).status;

describe('Linux status (Fleet: no key → action_required, client error → failed, else verified)', () => {
  it('follows the three Fleet rules', () => {
    expect(status(view('linux'))).toBe('action_required');
    expect(status(view('linux', { key: { client_error: 'boom' } }))).toBe('failed');
    expect(status(view('linux', { key: {} }))).toBe('verified');
  });

  it('says verifying for a key not checked yet, action_required for one that did not decrypt', () => {
    expect(status(view('linux', { key: { decryptable: null } }))).toBe('verifying');
    expect(status(view('linux', { key: { decryptable: false } }))).toBe('action_required');
  });

  it('a client error wins over a good key (which is kept)', () => {
    expect(status(view('linux', { key: { client_error: 'x', decryptable: true } }))).toBe('failed');
  });

  it('a removed or changed slot makes a verified key action_required and asks for escrow again', () => {
    const stale = view('linux', {
      key: {},
      report: luksReport({ device: 'd', uuid: 'u', key_slot: 1, salt: 'other', token_state: 'escrowed' }),
    });
    expect(status(stale)).toBe('action_required');
    expect(hostNotifications(stale).run_disk_encryption_escrow).toBe(true);
    const gone = view('linux', {
      key: {},
      report: luksReport({ device: 'd', uuid: 'u', key_slot: null, salt: null, token_state: 'none' }),
    });
    expect(status(gone)).toBe('action_required');
    const same = view('linux', {
      key: {},
      report: luksReport({ device: 'd', uuid: 'u', key_slot: 1, salt: 'salt', token_state: 'escrowed' }),
    });
    expect(status(same)).toBe('verified');
    expect(hostNotifications(same).run_disk_encryption_escrow).toBe(false);
  });

  it('an unencrypted boot volume is action_required', () => {
    const v = view('linux', {
      report: luksReport({ device: 'd', uuid: 'u', key_slot: null, salt: null, token_state: 'none' }, false),
    });
    expect(status(v)).toBe('action_required');
  });
});

describe('macOS and Windows status', () => {
  it('macOS: enforcing until FileVault is on, action_required when on without key, failed when undecryptable', () => {
    expect(status(view('darwin'))).toBe('enforcing');
    const fvOn = { platform: 'darwin' as const, boot_volume_encrypted: true, agent_version: '1' };
    expect(
      status(
        view('darwin', {
          report: { ...fvOn, filevault: { enabled: true, has_personal_recovery_key: true } },
        }),
      ),
    ).toBe('action_required');
    expect(status(view('darwin', { key: { decryptable: null } }))).toBe('verifying');
    expect(status(view('darwin', { key: { decryptable: false } }))).toBe('failed');
    expect(status(view('darwin', { key: {} }))).toBe('verified');
    expect(
      hostNotifications(view('darwin', { key: { decryptable: false } })).rotate_disk_encryption_key,
    ).toBe(true);
    // FileVault on and no key on the server: the Mac is asked for one; FileVault off: nothing to ask yet.
    const fvOnNoKey = view('darwin', {
      report: { ...fvOn, filevault: { enabled: true, has_personal_recovery_key: true } },
    });
    expect(hostNotifications(fvOnNoKey).rotate_disk_encryption_key).toBe(true);
    expect(hostNotifications(view('darwin')).rotate_disk_encryption_key).toBe(false);
    expect(hostNotifications(view('darwin', { key: {} })).rotate_disk_encryption_key).toBe(false);
  });

  it('Windows: enforcing until a key arrives and protection is on', () => {
    expect(status(view('windows'))).toBe('enforcing');
    expect(hostNotifications(view('windows')).enforce_bitlocker_encryption).toBe(true);
    const off = { platform: 'windows' as const, boot_volume_encrypted: false, agent_version: '1' };
    const v = view('windows', {
      key: {},
      report: { ...off, bitlocker: { conversion_status: 'x', protection_status: 0 } },
    });
    expect(status(v)).toBe('enforcing');
    expect(hostNotifications(v).enforce_bitlocker_encryption).toBe(true);
    expect(status(view('windows', { key: {} }))).toBe('verified');
    expect(hostNotifications(view('windows', { key: {} })).enforce_bitlocker_encryption).toBe(false);
  });
});

describe('unmanaged hosts and the summary', () => {
  it('a host whose team has encryption off has no status, or removing_enforcement until it checks in', () => {
    expect(status(view('linux', { enabled: false }))).toBeNull();
    expect(status(view('linux', { enabled: false, removing: true }))).toBe('removing_enforcement');
    expect(hostNotifications(view('linux', { enabled: false })).run_disk_encryption_escrow).toBe(false);
    expect(
      hostNotifications(view('linux', { enabled: false, rotate: true })).rotate_disk_encryption_key,
    ).toBe(false);
  });

  it('counts per status per platform and leaves unmanaged hosts out', () => {
    const s = summarize([
      view('linux'),
      view('linux', { key: {} }),
      view('darwin', { key: {} }),
      view('windows', { enabled: false }),
    ]);
    expect(s.action_required).toEqual({ linux: 1, macos: 0, windows: 0 });
    expect(s.verified).toEqual({ linux: 1, macos: 1, windows: 0 });
    const total = Object.values(s).reduce((n, c) => n + c.linux + c.macos + c.windows, 0);
    expect(total).toBe(3);
  });
});
