import type { Activity } from '../storage/records.js';

/**
 * One line of plain words per activity, for the console's timeline and the CSV export (pure). Values come
 * from the stored details and are data: the console renders them as text, never as HTML.
 */
export function describeActivity(a: Activity): string {
  const d = a.details;
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : d[k] == null ? '' : String(d[k]));
  const host = s('host_display_name') || (a.host_id !== null ? `host #${a.host_id}` : 'a host');
  const team = d.team_id === null ? '"no team"' : d.team_id !== undefined ? `team #${s('team_id')}` : '';
  const why = s('reason') ? `: ${s('reason')}` : '';
  switch (a.type) {
    case 'signed_in':
      return `${a.actor} signed in`;
    case 'signed_out':
      return `${a.actor} signed out`;
    case 'signed_out_everywhere':
      return `${a.actor} signed out everywhere`;
    case 'created_user':
      return `${a.actor} added ${s('email')} as ${s('role')}`;
    case 'edited_user':
      return `${a.actor} changed ${s('email')} (${Object.keys((d.changes as object) ?? {}).join(', ') || 'nothing'})`;
    case 'deleted_user':
      return `${a.actor} removed ${s('email')}`;
    case 'revoked_user_sessions':
      return `${a.actor} ended the sessions of ${s('email')}`;
    case 'created_api_token':
      return `${a.actor} created the ${s('role')} API token "${s('name')}"`;
    case 'revoked_api_token':
      return `${a.actor} revoked the API token "${s('name')}"`;
    case 'edited_org_info':
      return `${a.actor} changed the organisation's details`;
    case 'created_team':
      return `${a.actor} created team "${s('team_name')}"`;
    case 'edited_team':
      return `${a.actor} changed ${team || 'a team'}`;
    case 'enabled_disk_encryption':
      return `${a.actor} turned disk encryption escrow on for ${team || 'a team'}`;
    case 'disabled_disk_encryption':
      return `${a.actor} turned disk encryption escrow off for ${team || 'a team'}`;
    case 'transferred_hosts':
      return `${a.actor} moved ${Array.isArray(d.host_ids) ? d.host_ids.length : 'some'} host(s) to ${team || 'a team'}`;
    case 'read_host_disk_encryption_key':
      return `${a.actor} revealed the key of ${host}${why}`;
    case 'read_host_archived_disk_encryption_keys':
      return `${a.actor} revealed archived keys of ${host}${why}`;
    case 'requested_disk_encryption_key_rotation':
      return `${a.actor} asked ${host} for a new key${why}`;
    case 'host_enrolled':
      return `${host} enrolled`;
    case 'host_re_enrolled':
      return `${host} enrolled again (its previous key was archived)`;
    case 'host_claimed_without_proof':
      return `A computer (${s('hostname')}, serial ${s('hardware_serial')}) claimed to be ${host} without its identity key; it waits as pending host ${s('pending_host_id')} until an admin merges it`;
    case 'merged_pending_host':
      return `${a.actor} merged pending host ${s('pending_host_id')} into ${host} (its previous key was archived)`;
    case 'host_team_changed':
      return `${a.actor} moved ${host} to ${s('to_team_name') || '"no team"'}`;
    case 'disk_encryption_status_changed':
      return `${host}: ${s('from') ? `${statusWords(s('from'))} → ` : ''}${statusWords(s('to'))}. ${s('detail')}`.trim();
    case 'key_escrowed':
      return `${host} escrowed a ${s('kind')} key${d.decryptable === false ? ' that the server cannot decrypt' : ''}`;
    case 'key_verified':
      return `The key of ${host} was verified (it decrypts)`;
    case 'key_not_decryptable':
      return `The key of ${host} could not be decrypted`;
    case 'escrow_failed':
      return `Escrow failed on ${host}: ${s('client_error')}`;
    case 'key_changed_on_host':
      return `The escrowed key slot of ${host} was removed or changed on the host`;
    case 'signed_in_break_glass':
      return `${a.actor} signed in with a break-glass link from the server's command line`;
    case 'linked_host':
      return `${a.actor} linked ${host} to ${s('email')}${d.via === 'link_code' ? ' (from the computer)' : ''}`;
    case 'unlinked_host':
      return `${a.actor} unlinked ${host} from ${s('email')}`;
    case 'imported_host_links':
      return `${a.actor} linked ${s('linked')} host(s) to people from a CSV file`;
    case 'edited_self_service_policy':
      return `${a.actor} set self-service for ${team || 'a team'}: ${d.enabled ? `on, ${s('reveals_per_day')} reveal(s) a day` : 'off'}`;
    case 'self_service_read_disk_encryption_key':
      return `${a.actor} revealed the key of their own ${host} in My devices${why}`;
    default:
      return `${a.actor}: ${a.type}`;
  }
}

/** Fleet's status names as the console shows them ("action_required" → "Action required"). */
const STATUS_WORDS: Record<string, string> = {
  verified: 'Verified',
  verifying: 'Verifying',
  action_required: 'Action required',
  enforcing: 'Enforcing',
  failed: 'Failed',
  removing_enforcement: 'Removing enforcement',
  unmanaged: 'Not managed',
};
const statusWords = (status: string) => STATUS_WORDS[status] ?? status;
