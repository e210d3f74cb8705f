import type { Role } from '../../ipc/admin/admin-api.js';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';

export type { Role };

/**
 * The storage port: everything the server needs from a database, in domain words. One SQL implementation
 * (sql-store.ts) serves it over two drivers (sqlite.ts, postgres.ts), so both databases share the schema,
 * the migrations and the exact semantics, and the same test suite runs against both.
 */

export type ArchiveReason = 'replaced' | 're_enrolled' | 'encryption_disabled' | 'team_changed';

/** When the user must have escrowed by, and how often they may say "later" (ours; null = not set). */
export interface EncryptionPolicy {
  logout_deadline: string | null;
  max_deferrals: number | null;
}

/** A policy change: a field left out (or undefined) keeps its current value. */
export type EncryptionPolicyChange = { [K in keyof EncryptionPolicy]?: EncryptionPolicy[K] | undefined };

export interface Team extends EncryptionPolicy {
  id: number;
  name: string;
  enable_disk_encryption: boolean;
}

export interface HostIdentity {
  hardware_uuid: string;
  hardware_serial: string;
  hostname: string;
  platform: Platform;
  os_version: string;
}

export interface Host extends HostIdentity {
  id: number;
  team_id: number | null;
  enrolled_at: string;
  last_seen_at: string;
  /** The last disk_encryption_status report, as JSON text (already validated when received). */
  reported_status: string | null;
  rotate_requested: boolean;
  removing_enforcement: boolean;
}

export interface EscrowedKey {
  host_id: number;
  /** null when the host reported only an error and never sent a key. */
  base64_encrypted: string | null;
  key_slot: number | null;
  salt: string | null;
  client_error: string;
  /** null = not checked yet. */
  decryptable: boolean | null;
  /** Bumped on every change of key; the verification job writes only if it still matches. */
  version: number;
  escrow_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ArchivedKey {
  id: number;
  host_id: number;
  hardware_serial: string;
  base64_encrypted: string;
  key_slot: number | null;
  salt: string | null;
  decryptable: boolean | null;
  escrow_id: string | null;
  reason: ArchiveReason;
  key_created_at: string;
  archived_at: string;
}

/** A host with what the status rules need, in one read. */
export interface HostView {
  host: Host;
  key: EscrowedKey | null;
  /** Whether the host's team (or "no team") has disk encryption turned on. */
  encryption_enabled: boolean;
  policy: EncryptionPolicy;
}

export interface NewKey {
  base64_encrypted: string;
  key_slot: number | null;
  salt: string | null;
  decryptable: boolean | null;
  escrow_id: string | null;
}

export interface Activity {
  id: number;
  created_at: string;
  actor: string;
  type: string;
  details: Record<string, unknown>;
}

export interface UncheckedKey {
  host_id: number;
  platform: Platform;
  version: number;
  base64_encrypted: string;
}

export interface DecryptabilityAnswer {
  hostId: number;
  version: number;
  decryptable: boolean;
}

export interface EscrowStore {
  migrate(): Promise<void>;
  close(): Promise<void>;

  getSetting(name: string): Promise<string | null>;
  /** Returns false when the setting already existed (it is never overwritten). */
  insertSetting(name: string, value: string): Promise<boolean>;

  addAdminToken(tokenHash: string, role: Role, name: string): Promise<void>;
  findAdminToken(tokenHash: string): Promise<{ id: number; role: Role; name: string } | null>;

  /**
   * Enroll or re-enroll (same hardware_uuid). A re-enroll archives the current key, deletes it and gives
   * the host a new node key, so escrow starts again.
   */
  enrollHost(identity: HostIdentity, nodeKeyHash: string): Promise<{ hostId: number; reenrolled: boolean }>;
  findHostByNodeKeyHash(nodeKeyHash: string): Promise<HostView | null>;
  getHostView(hostId: number): Promise<HostView | null>;
  listHostViews(filter: { teamId?: number | null }): Promise<HostView[]>;
  touchHost(hostId: number): Promise<void>;
  saveStatusReport(hostId: number, reportJson: string): Promise<void>;

  /**
   * Store a new key for the host, archiving the previous one first. With an escrow_id equal to the stored
   * key's, nothing changes ('duplicate'): agent retries are idempotent. Clears client_error and any
   * rotation request.
   */
  storeKey(hostId: number, key: NewKey): Promise<'stored' | 'duplicate'>;
  /** An error-only report: sets client_error, never touches a stored key. */
  recordClientError(hostId: number, message: string): Promise<void>;
  /**
   * Compare-and-set, for many keys in one transaction: each answer is written only when that key's version
   * is still the one checked. Returns, per answer, whether it was written.
   */
  setDecryptable(answers: readonly DecryptabilityAnswer[]): Promise<boolean[]>;
  /** Unchecked keys in host id order, from the host after `afterHostId` (a cursor; default from the start). */
  listUncheckedKeys(limit: number, afterHostId?: number): Promise<UncheckedKey[]>;
  listArchivedKeys(hostId: number): Promise<ArchivedKey[]>;
  requestRotation(hostId: number): Promise<boolean>;
  clearRemovingEnforcement(hostId: number): Promise<void>;

  createTeam(name: string): Promise<Team>;
  listTeams(): Promise<Team[]>;
  getTeam(id: number): Promise<Team | null>;
  /**
   * teamId null is "no team". Turning encryption off archives and deletes the keys of its hosts. Policy
   * fields left undefined keep their value; null clears them. Returns the ids of the team's hosts.
   */
  setDiskEncryption(
    teamId: number | null,
    enabled: boolean,
    policy?: EncryptionPolicyChange,
  ): Promise<number[]>;
  /** Moves hosts; a host moving to a team without encryption loses (archives) its key, as in Fleet. */
  transferHosts(teamId: number | null, hostIds: readonly number[]): Promise<number[]>;

  addActivity(actor: string, type: string, details: Record<string, unknown>): Promise<void>;
  listActivities(opts: { limit: number; afterId?: number }): Promise<Activity[]>;
}
