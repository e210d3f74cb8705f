import type { HostDetails, HostSummary, KeyKind } from '../../../ipc/admin/hosts.js';
import type { Platform } from '../../../ipc/agent-server/orbit-api.js';
import { attentionReasons } from '../../domain/attention.js';
import { recoveryKeyUsed } from '../../domain/self-service.js';
import { diskEncryptionStatus, reportedStatus } from '../../domain/status.js';
import type { HostView } from '../../storage/records.js';

/** Host answers of the admin API, built from a host view (Fleet's field names where Fleet has them). */

export const KEY_KIND: Record<Platform, KeyKind> = {
  linux: 'luks',
  darwin: 'filevault',
  windows: 'bitlocker',
};

export type TeamNames = ReadonlyMap<number, string>;

export function hostSummary(v: HostView, teams: TeamNames): HostSummary {
  const { status, detail } = diskEncryptionStatus(v);
  const h = v.host;
  return {
    id: h.id,
    hostname: h.hostname,
    display_name: h.hostname,
    hardware_serial: h.hardware_serial,
    uuid: h.hardware_uuid,
    platform: h.platform,
    os_version: h.os_version,
    team_id: h.team_id,
    team_name: h.team_id === null ? null : (teams.get(h.team_id) ?? null),
    logged_in_user: h.logged_in_user,
    logout_deferrals: h.logout_deferrals ?? null,
    last_enrolled_at: h.enrolled_at,
    seen_time: h.last_seen_at,
    disk_encryption_enabled: v.encryption_enabled,
    mdm: { os_settings: { disk_encryption: { status, detail } } },
    key_kind: KEY_KIND[h.platform],
    disk_encryption_key: v.key
      ? {
          escrowed: v.key.base64_encrypted !== null,
          decryptable: v.key.decryptable,
          key_slot: v.key.key_slot,
          updated_at: v.key.updated_at,
          client_error: v.key.client_error,
        }
      : null,
    reported_status: h.reported_status ? (JSON.parse(h.reported_status) as unknown) : null,
    linked_user: h.linked_user
      ? {
          email: h.linked_user.email,
          name: h.linked_user.name,
          linked_at: h.linked_user.linked_at,
          linked_via: h.linked_user.linked_via,
        }
      : null,
  };
}

/** One disk per report section, in plain words. */
export function volumesOf(v: HostView): HostDetails['volumes'] {
  const r = reportedStatus(v);
  if (!r) return [];
  const out: HostDetails['volumes'] = [];
  if (r.luks) {
    const l = r.luks;
    out.push({
      kind: 'luks',
      device: l.device || null,
      encrypted: r.boot_volume_encrypted,
      detail:
        l.token_state === 'escrowed'
          ? `Escrow key slot ${l.key_slot ?? '?'} is in the LUKS header and its key is escrowed.`
          : l.token_state === 'pending'
            ? `Escrow key slot ${l.key_slot ?? '?'} was added and waits for the server to confirm.`
            : 'This disk has no escrow key slot.',
    });
  } else if (v.host.platform === 'linux') {
    out.push({
      kind: 'luks',
      device: null,
      encrypted: r.boot_volume_encrypted,
      detail: r.boot_volume_encrypted ? 'The boot volume is encrypted.' : 'The boot volume is not encrypted.',
    });
  }
  if (r.filevault) {
    const f = r.filevault;
    out.push({
      kind: 'filevault',
      device: null,
      encrypted: f.enabled,
      detail: !f.enabled
        ? 'FileVault is off.'
        : f.has_personal_recovery_key
          ? 'FileVault is on with a personal recovery key.'
          : 'FileVault is on without a personal recovery key.',
    });
  }
  if (r.bitlocker) {
    const b = r.bitlocker;
    const on = b.protection_status === 1;
    out.push({
      kind: 'bitlocker',
      device: null,
      encrypted: on,
      detail: `BitLocker protection is ${on ? 'on' : 'off'} (conversion: ${b.conversion_status || 'unknown'}).`,
    });
  }
  return out;
}

export function hostDetails(
  v: HostView,
  teams: TeamNames,
  archivedKeyCount: number,
  rotateAfterRevealDefault: boolean,
  now: Date,
): HostDetails {
  return {
    ...hostSummary(v, teams),
    volumes: volumesOf(v),
    rotate_requested: v.host.rotate_requested,
    recovery_key_used: recoveryKeyUsed(v),
    needs_attention: attentionReasons(v, now),
    archived_key_count: archivedKeyCount,
    policy: {
      reason_required: v.policy.reason_required,
      rotate_after_reveal: v.policy.rotate_after_reveal ?? rotateAfterRevealDefault,
      logout_deadline: v.policy.logout_deadline,
      max_deferrals: v.policy.max_deferrals,
    },
  };
}
