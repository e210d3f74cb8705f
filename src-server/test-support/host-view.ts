import type { DiskEncryptionStatusRequest, Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EncryptionPolicy, EscrowedKey, Host, HostView } from '../storage/records.js';

/** A host view for pure tests: a Linux host with a good key unless told otherwise. */
export function hostView(
  opts: {
    platform?: Platform;
    host?: Partial<Host>;
    key?: Partial<EscrowedKey> | null;
    enabled?: boolean;
    report?: Omit<DiskEncryptionStatusRequest, 'orbit_node_key'>;
    policy?: Partial<EncryptionPolicy>;
  } = {},
): HostView {
  return {
    host: {
      id: 1,
      hardware_uuid: 'uuid-1',
      hardware_serial: 'SER1',
      hostname: 'laptop-1',
      platform: opts.platform ?? 'linux',
      os_version: 'x',
      team_id: null,
      enrolled_at: '2026-01-01T00:00:00.000Z',
      last_seen_at: '2026-01-01T00:00:00.000Z',
      reported_status: opts.report ? JSON.stringify(opts.report) : null,
      rotate_requested: false,
      removing_enforcement: false,
      logged_in_user: null,
      disk_encryption_status: 'verified',
      ...opts.host,
    },
    key:
      opts.key === null
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
            created_at: '2026-01-01T00:00:00.000Z',
            updated_at: '2026-01-01T00:00:00.000Z',
            ...opts.key,
          },
    encryption_enabled: opts.enabled ?? true,
    policy: {
      logout_deadline: null,
      max_deferrals: null,
      reason_required: true,
      rotate_after_reveal: false,
      ...opts.policy,
    },
  };
}
