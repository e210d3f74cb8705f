import type { HostOrderKey, Role, StatusFilter } from '../../ipc/admin/admin-api.js';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';

import type { HostLink, RecoveryKeyMark } from './sso-records.js';

export type * from './sso-records.js';
export type { HostOrderKey, Role, StatusFilter };

/** What the storage port reads and writes: records in domain words (see port.ts). */

export type ArchiveReason = 'replaced' | 're_enrolled' | 'encryption_disabled' | 'team_changed' | 'merged';

/**
 * When the user must have escrowed by, and how often they may say "later" (ours; null = not set); whether
 * revealing a key needs a reason and always asks the host for a new key afterwards.
 */
export interface EncryptionPolicy {
  logout_deadline: string | null;
  max_deferrals: number | null;
  reason_required: boolean;
  /** null only for "no team" while never set: the server's --rotate-key-after-read flag decides. */
  rotate_after_reveal: boolean | null;
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

/** An identity claim whose signature the enroll route has verified (host-identity-proof.ts). */
export interface HostClaim {
  public_key: string;
  signed_at: string;
}

export interface EnrollOutcome {
  hostId: number;
  reenrolled: boolean;
  /** Set when the enrollment claimed this known host's hardware UUID without proof: hostId is pending. */
  claimsHostId: number | null;
}

/** A host made by an unproven claim, waiting for an admin to merge it with the host it claims to be. */
export interface PendingHost {
  id: number;
  claims_host_id: number;
  claims_hostname: string;
  hostname: string;
  hardware_serial: string;
  enrolled_at: string;
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
  /**
   * The last person the agent reported at the screen (kept while nobody is logged in, so the helpdesk finds
   * the laptop by its user); part of the search. null until an agent reports one.
   */
  logged_in_user: string | null;
  /**
   * How often the user postponed the log-out the agent asks for now (macOS); null when none is asked for
   * or the agent does not say. Absent in hand-made test records = null.
   */
  logout_deferrals?: number | null;
  /** The status the store last derived (domain/status.ts) and keeps current on every write; for SQL lists. */
  disk_encryption_status: StatusFilter;
  /** The person this host is linked to (sso-records.ts); absent in hand-made test records = not linked. */
  linked_user?: HostLink | null;
  /** The recovery key escrowed at or before `used_at` was shown to its owner (sso-records.ts). */
  recovery_key_used?: RecoveryKeyMark | null;
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

export type ActorKind = 'user' | 'api_token' | 'host' | 'system';

export interface NewActivity {
  actor: string;
  actor_kind: ActorKind;
  type: string;
  host_id?: number | null;
  team_id?: number | null;
  details: Record<string, unknown>;
}

export interface Activity {
  id: number;
  created_at: string;
  actor: string;
  actor_kind: ActorKind;
  type: string;
  host_id: number | null;
  team_id: number | null;
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

/** Which hosts a principal may see: null = all; a list = hosts of those teams only (never "no team"). */
export type Scope = readonly number[] | null;

/** Host list filters; every field optional. `query` is matched as a lower-cased substring. */
export interface HostFilter {
  query?: string | undefined;
  status?: StatusFilter | undefined;
  platform?: Platform | undefined;
  /** undefined = any team; null = "no team". */
  teamId?: number | null | undefined;
  scope?: Scope | undefined;
}

/** Keyset position: the order column's value and the id of the last row of the previous page. */
export interface HostKeyset {
  value: string | number;
  id: number;
}

export interface HostPageRequest {
  filter: HostFilter;
  order: { key: HostOrderKey; direction: 'asc' | 'desc' };
  limit: number;
  after?: HostKeyset | undefined;
  /** Fleet's page × per_page; only for small offsets (the contract bounds it). */
  offset?: number | undefined;
}

export interface StatusCount {
  status: StatusFilter;
  platform: Platform;
  team_id: number | null;
  hosts: number;
}

/** Which hosts may need attention: a bad status, not seen since, or enforcing since enrollment long ago. */
export interface AttentionQuery {
  filter: Pick<HostFilter, 'teamId' | 'scope'>;
  seenBefore: string;
  enrolledBefore: string;
  /** A host whose user postponed the log-out this often is a candidate too. */
  deferralsAtLeast: number;
}

export interface SetDiskEncryptionOptions {
  /**
   * Runs once the change is committed and before the hosts' stored statuses are re-derived: the server
   * answers the agents' long-polls here, so they do not wait for the console's bookkeeping.
   */
  beforeStatusRefresh?: ((hostIds: number[]) => Promise<void>) | undefined;
}

/** What a status report says about the people at the host, stored beside the report itself. */
export interface StatusReportFacts {
  /** A name replaces the stored person; null (nobody logged in) or undefined (not said) keeps them. */
  logged_in_user?: string | null | undefined;
  /** Stored as given; undefined (an older agent) stores null. */
  logout_deferrals?: number | null | undefined;
}

export interface UserRecord {
  id: number;
  email: string;
  name: string;
  role: Role;
  teams: number[] | null;
  password_hash: string;
  disabled: boolean;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

export type NewUser = Pick<UserRecord, 'email' | 'name' | 'role' | 'teams' | 'password_hash'>;
export type UserChange = Partial<Pick<UserRecord, 'name' | 'role' | 'teams' | 'disabled' | 'password_hash'>>;

export interface SessionRecord {
  /** SHA-256 of the cookie's secret; the secret itself is never stored. */
  id_hash: string;
  user_id: number;
  created_at: string;
  last_seen_at: string;
  /** Absolute end of life; the idle timeout is checked against last_seen_at. */
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  ip: string;
  user_agent: string;
}

export type NewSession = Omit<SessionRecord, 'revoked_at' | 'revoked_reason'>;

export interface TokenRecord {
  id: number;
  name: string;
  role: Role;
  teams: number[] | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface NewToken {
  role: Role;
  name: string;
  teams?: number[] | null;
  expires_at?: string | null;
  created_by?: string;
}

export interface ActivityQuery {
  actor?: string | undefined;
  hostId?: number | undefined;
  type?: string | undefined;
  /** undefined = any; null = activities of "no team" hosts. */
  teamId?: number | null | undefined;
  scope?: Scope | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Newest first; `beforeId` pages back in time, `afterId` returns only newer rows. */
  beforeId?: number | undefined;
  afterId?: number | undefined;
  limit: number;
}

export interface DailyCount {
  day: string;
  status: StatusFilter;
  hosts: number;
}
