import { describe, expect, it } from 'vitest';
import { serverConfig as config, wishes } from '../test-support/server-wishes.js';
import { linuxState } from './linux-platform.js';
import { luksStatus as luks } from './test-support/luks-status.js';

const escrowed = {
  ourSlot: 4,
  salt: 's',
  tokenState: 'escrowed' as const,
  needsKey: false,
  escrowedAt: '2026-01-01T00:00:00.000Z',
};

describe('linuxState: LUKS status + server wishes → volume, action, report', () => {
  it('asks for the passphrase when encryption is enabled and no key of ours exists', () => {
    const s = linuxState(luks(), wishes(config({ escrow: true })));
    expect(s.action).toMatchObject({ kind: 'luks_passphrase', reason: 'no_key', volumeId: luks().uuid });
    expect(s.volumes[0]?.escrow.state).toBe('action_required');
    expect(s.report.luks).toMatchObject({ token_state: 'none', key_slot: null });
  });

  it('says key_removed when our slot vanished on the host', () => {
    const s = linuxState(luks({ hostChange: 'removed' }), wishes(config({ escrow: true })));
    expect(s.action).toMatchObject({ reason: 'key_removed' });
    expect(s.volumes[0]?.escrow.message).toContain('removed');
  });

  it('asks nothing when encryption is off, and nothing before the first config', () => {
    expect(linuxState(luks(), wishes(config({ enabled: false }))).action).toBeNull();
    expect(linuxState(luks(), wishes(config({ enabled: false }))).volumes[0]?.escrow.state).toBe(
      'not_required',
    );
    expect(linuxState(luks(), wishes(null)).action).toBeNull();
    expect(linuxState(luks(), wishes(null)).volumes[0]?.escrow.state).toBe('unknown');
  });

  it('escrowed key: no action unless the server asks for a new one; a queued key is never re-asked', () => {
    expect(linuxState(luks(escrowed), wishes(config())).volumes[0]?.escrow).toMatchObject({
      state: 'escrowed',
      keySlot: 4,
    });
    expect(linuxState(luks(escrowed), wishes(config({ rotate: true }))).action).toMatchObject({
      reason: 'rotation_requested',
    });
    const queued = linuxState(
      luks({ ...escrowed, tokenState: 'pending', pendingUpload: true }),
      wishes(config({ escrow: true })),
    );
    expect(queued.action).toBeNull();
    expect(queued.volumes[0]?.escrow.state).toBe('uploading');
  });

  it('a config from before the server acked our key does not count as a rotation request', () => {
    const stale = linuxState(luks(escrowed), wishes(config({ escrow: true }), 'v1'));
    expect(stale.action).toBeNull();
    expect(stale.volumes[0]?.escrow.state).toBe('escrowed');
    // The same config, not yet answered, is a request for a new key.
    expect(linuxState(luks(escrowed), wishes(config({ escrow: true }), null)).action).toMatchObject({
      reason: 'rotation_requested',
    });
  });

  it('a LUKS1 or unencrypted disk fails clearly when escrow is wanted', () => {
    const v1 = linuxState(luks({ luks2: false, uuid: null }), wishes(config()));
    expect(v1.volumes[0]).toMatchObject({ encryption: 'luks1', escrow: { state: 'failed' } });
    expect(v1.report.luks).toBeUndefined();
    const none = linuxState(luks({ luks2: false, encrypted: false, uuid: null }), wishes(config()));
    expect(none.volumes[0]?.encryption).toBe('none');
    expect(none.report.boot_volume_encrypted).toBe(false);
  });

  it('asks for a new disk passphrase once the server says our escrowed key was shown to its owner', () => {
    const used = {
      ...config({ rotate: true }),
      recovery_key_used: { used_at: '2026-02-01T09:00:00.000Z', shown_to: 'owner' },
    };
    const s = linuxState(luks(escrowed), wishes(used));
    expect(s.action).toEqual({
      kind: 'luks_new_passphrase',
      volumeId: luks().uuid,
      reason: 'recovery_key_used',
      usedAt: '2026-02-01T09:00:00.000Z',
      cooldownUntil: null,
    });
    expect(s.volumes[0]?.escrow.state).toBe('action_required');
    // The ack of our new key came under this config version: its wish is met, nothing is asked.
    expect(linuxState(luks(escrowed), wishes(used, 'v1')).action).toBeNull();
    // A key still on its way to the server was never shown to anyone.
    expect(linuxState(luks({ ...escrowed, pendingUpload: true }), wishes(used)).action).toBeNull();
  });

  it('asks to finish a reset left half done, but not while its new key is still being sent', () => {
    const s = linuxState(luks({ ...escrowed, resetPending: true }), wishes(config()));
    expect(s.action).toMatchObject({ kind: 'luks_new_passphrase', reason: 'interrupted', usedAt: null });
    const sending = linuxState(
      luks({ ...escrowed, resetPending: true, pendingUpload: true }),
      wishes(config()),
    );
    expect(sending.action).toBeNull();
    expect(sending.volumes[0]?.escrow.state).toBe('uploading');
  });
});
