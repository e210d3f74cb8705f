import { describe, expect, it } from 'vitest';
import type { Activity } from '../storage/records.js';
import { describeActivity } from './activity-text.js';

const event = (details: Record<string, unknown>): Activity => ({
  id: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  actor: 'system',
  actor_kind: 'system',
  type: 'disk_encryption_status_changed',
  host_id: 7,
  team_id: null,
  details,
});

describe('activity lines in plain words', () => {
  it('names status changes with the console’s words, the first status without a "from"', () => {
    expect(
      describeActivity(
        event({ host_display_name: 'mac-7', from: 'action_required', to: 'failed', detail: 'It failed.' }),
      ),
    ).toBe('mac-7: Action required → Failed. It failed.');
    expect(
      describeActivity(event({ host_display_name: 'mac-7', from: null, to: 'enforcing', detail: '' })),
    ).toBe('mac-7: Enforcing.');
    // A status this code does not know yet is shown as stored rather than dropped.
    expect(describeActivity(event({ from: 'verified', to: 'quarantined', detail: '' }))).toBe(
      'host #7: Verified → quarantined.',
    );
  });
});
