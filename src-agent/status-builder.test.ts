import { describe, expect, it } from 'vitest';
import { linuxState } from './linux/linux-platform.js';
import { luksStatus as luks } from './linux/test-support/luks-status.js';
import { buildDeviceStatus, promptIsDue } from './status-builder.js';
import { serverConfig as config, wishes } from './test-support/server-wishes.js';

describe('buildDeviceStatus', () => {
  const base = {
    agentVersion: '0.1.0',
    platform: 'linux' as const,
    hostname: 'h',
    server: { state: 'connected' as const, url: 'https://e', lastContactAt: null },
    config: config(),
    platformState: linuxState(luks({ cooldownUntil: '2026-01-01T10:10:00.000Z' }), wishes(config())),
    remindAt: null,
    escrowRunning: false,
    now: new Date('2026-01-01T10:00:00Z'),
  };

  it('carries the cool-down and the organization; a future reminder snoozes the prompt', () => {
    const s = buildDeviceStatus(base);
    expect(s.action).toMatchObject({ cooldownUntil: '2026-01-01T10:10:00.000Z', remindAt: null });
    expect(s.organization).toEqual({ name: 'Acme', contactUrl: 'https://help.acme.example' });
    const withContacts = config();
    withContacts.org_info = {
      ...withContacts.org_info,
      contact_email: 'it@acme.example',
      contact_phone: '+1 555 0100',
    };
    expect(buildDeviceStatus({ ...base, config: withContacts }).organization).toEqual({
      name: 'Acme',
      contactUrl: 'https://help.acme.example',
      contactEmail: 'it@acme.example',
      contactPhone: '+1 555 0100',
    });
    // An older server sends neither; an organisation without them sends ''. Both leave them out.
    withContacts.org_info = { ...withContacts.org_info, contact_email: '', contact_phone: '' };
    expect(buildDeviceStatus({ ...base, config: withContacts }).organization).toEqual(s.organization);
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

  it('says whom the computer is linked to, and whether the server can link it', () => {
    expect(buildDeviceStatus(base).account).toEqual({ linkedUser: null, linkable: false });
    const unlinked = buildDeviceStatus({ ...base, config: { ...config(), linked_user: null } });
    expect(unlinked.account).toEqual({ linkedUser: null, linkable: true });
    const linked = buildDeviceStatus({
      ...base,
      config: {
        ...config(),
        linked_user: { email: 'ana@example.com', name: 'Ana', linked_at: '2026-01-01T09:00:00.000Z' },
      },
    });
    expect(linked.account).toEqual({
      linkedUser: { email: 'ana@example.com', name: 'Ana', linkedAt: '2026-01-01T09:00:00.000Z' },
      linkable: true,
    });
    expect(buildDeviceStatus({ ...base, config: null }).account).toBeNull();
  });
});
