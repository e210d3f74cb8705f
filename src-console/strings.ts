import type { Platform, StatusFilter } from './api/types.js';
import type { Tone } from './components/status.js';

/** Words shown for the API's names, in one place (a translation replaces this file). */
export const STATUS_NAMES: Record<StatusFilter, string> = {
  verified: 'Verified',
  verifying: 'Verifying',
  action_required: 'Action required',
  enforcing: 'Enforcing',
  failed: 'Failed',
  removing_enforcement: 'Removing enforcement',
  unmanaged: 'Not managed',
};

export const STATUS_TONES: Record<StatusFilter, Tone> = {
  verified: 'ok',
  verifying: 'info',
  action_required: 'warn',
  enforcing: 'info',
  failed: 'error',
  removing_enforcement: 'info',
  unmanaged: 'muted',
};

/** The order statuses are listed in everywhere: worst first, so the eye meets trouble first. */
export const STATUS_ORDER: readonly StatusFilter[] = [
  'failed',
  'action_required',
  'enforcing',
  'verifying',
  'removing_enforcement',
  'verified',
  'unmanaged',
];

export const PLATFORM_NAMES: Record<Platform, string> = {
  linux: 'Linux',
  darwin: 'macOS',
  windows: 'Windows',
};
export const PLATFORMS: readonly Platform[] = ['linux', 'darwin', 'windows'];

export const NO_TEAM = 'No team';

export function statusName(s: StatusFilter | null): string {
  return STATUS_NAMES[s ?? 'unmanaged'];
}

/** Activity types in words; an unknown type is shown as its name with spaces. */
const ACTIVITY_NAMES: Record<string, string> = {
  read_host_disk_encryption_key: 'Revealed a recovery key',
  read_host_archived_disk_encryption_keys: 'Read archived keys',
  requested_disk_encryption_key_rotation: 'Requested key rotation',
  enabled_disk_encryption: 'Turned on escrow',
  disabled_disk_encryption: 'Turned off escrow',
  edited_team: 'Changed a team',
  created_team: 'Created a team',
  transferred_hosts: 'Moved hosts',
  created_user: 'Created a user',
  edited_user: 'Changed a user',
  deleted_user: 'Removed a user',
  revoked_user_sessions: 'Signed a user out',
  created_api_token: 'Created an API token',
  revoked_api_token: 'Revoked an API token',
  edited_org_info: 'Changed organisation settings',
  signed_in: 'Signed in',
  signed_out: 'Signed out',
  signed_out_everywhere: 'Signed out everywhere',
  host_enrolled: 'Host enrolled',
  host_re_enrolled: 'Host enrolled again',
  host_claimed_without_proof: 'Claimed without proof',
  merged_pending_host: 'Pending host merged',
  host_team_changed: 'Host changed team',
  disk_encryption_status_changed: 'Status changed',
  key_escrowed: 'Key escrowed',
  key_verified: 'Key verified',
  key_not_decryptable: 'Key could not be opened',
  escrow_failed: 'Escrow failed',
  key_changed_on_host: 'Key changed on the host',
};
export function activityName(type: string): string {
  return ACTIVITY_NAMES[type] ?? type.replace(/_/g, ' ');
}

/** The log-out a Mac's agent asks for (FileVault writes the new key at the next login), in words. */
export function logoutRequestText(postponed: number, allowed: number | null): string {
  const times =
    postponed === 0 ? 'not postponed yet' : `postponed ${postponed === 1 ? 'once' : `${postponed} times`}`;
  return `Asked to log out so FileVault can make a new key; ${times}${allowed === null ? '' : ` (${allowed} allowed)`}.`;
}
