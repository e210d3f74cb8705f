import { describe, expect, it } from 'vitest';
import { hostView } from '../test-support/host-view.js';
import { attentionReasons } from './attention.js';

const now = new Date('2026-01-03T00:00:00.000Z');
const codes = (...args: Parameters<typeof attentionReasons>) => attentionReasons(...args).map((r) => r.code);
const luks = (token_state: 'none' | 'pending' | 'escrowed', key_slot: number | null = 1, salt = 'salt') => ({
  platform: 'linux' as const,
  boot_volume_encrypted: true,
  luks: { device: '/dev/sda3', uuid: 'u', key_slot, salt, token_state },
  agent_version: '1',
});

describe('needs attention, in plain words', () => {
  it('says nothing about a healthy host', () => {
    expect(attentionReasons(hostView({ report: luks('escrowed') }), now)).toEqual([]);
  });

  it('says when the escrowed key no longer opens the disk', () => {
    const r = attentionReasons(hostView({ report: luks('none') }), now);
    expect(r[0]).toEqual({
      code: 'key_does_not_open_disk',
      text: 'The escrowed key no longer opens the disk: its key slot was removed or changed on the host.',
    });
    expect(codes(hostView({ report: luks('escrowed', 2) }), now)).toContain('key_does_not_open_disk');
  });

  it('quotes the agent error, and names an undecryptable key', () => {
    expect(
      attentionReasons(hostView({ key: { client_error: 'cryptsetup: no free slot' } }), now)[0]?.text,
    ).toBe('Escrow failed on the host: cryptsetup: no free slot');
    expect(codes(hostView({ key: { decryptable: false } }), now)).toEqual(['key_not_decryptable']);
  });

  it('counts days without a key, and postponed log-outs when the agent reports them', () => {
    const v = hostView({ key: null, host: { enrolled_at: '2026-01-01T00:00:00.000Z' } });
    expect(attentionReasons(v, now)[0]?.text).toBe(
      'No key has been escrowed since the host enrolled 2 days ago.',
    );
    const mac = (logout_deferrals: number | null) =>
      hostView({
        platform: 'darwin',
        key: null,
        host: { enrolled_at: '2025-12-01T00:00:00.000Z', logout_deferrals },
      });
    expect(attentionReasons(mac(3), now).map((r) => r.text)).toEqual([
      'FileVault is still off, 33 days after the Mac enrolled.',
      'The user postponed the log-out 3 times.',
    ]);
    expect(codes(mac(2), now)).toEqual(['filevault_off']);
    expect(codes(mac(null), now)).toEqual(['filevault_off']);
    // A healthy Mac whose rotation waits for a log-out the user keeps postponing.
    const rotating = hostView({ platform: 'darwin', host: { rotate_requested: true, logout_deferrals: 4 } });
    expect(codes(rotating, now)).toEqual(['logout_postponed', 'rotation_pending']);
  });

  it('names a passed deadline, a pending rotation and a silent host', () => {
    const v = hostView({
      key: null,
      policy: { logout_deadline: '2026-01-02T09:00:00.000Z' },
      host: { rotate_requested: true, last_seen_at: '2025-12-01T10:00:00.000Z' },
    });
    expect(attentionReasons(v, now).map((r) => r.text)).toEqual([
      'No key has been escrowed since the host enrolled 2 days ago.',
      'The log-out deadline (2026-01-02) passed without a working key in escrow.',
      'A new key was requested and has not arrived yet.',
      'Not seen for 32 days (last check-in 2025-12-01).',
    ]);
  });

  it('ignores encryption problems of hosts whose team does not manage encryption', () => {
    expect(attentionReasons(hostView({ enabled: false, key: null, report: luks('none') }), now)).toEqual([]);
  });
});
