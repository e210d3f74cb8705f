/**
 * The admin API's shapes as the console uses them. Until the admin contract (ipc/admin) carries them,
 * they are written here; each then becomes a re-export of the contract's inferred type, and the
 * compiler names every screen that disagrees.
 */
export type Role = 'admin' | 'maintainer' | 'helpdesk' | 'observer';
export type Platform = 'linux' | 'darwin' | 'windows';
export type DiskEncryptionStatus =
  | 'verified'
  | 'verifying'
  | 'action_required'
  | 'enforcing'
  | 'failed'
  | 'removing_enforcement';

export interface SessionUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** Empty = every team (a global role). */
  team_ids: number[];
}
export interface SessionResponse {
  user: SessionUser;
  csrf_token: string;
}

export interface Team {
  id: number;
  name: string;
  enable_disk_encryption: boolean;
  logout_deadline: string | null;
  max_deferrals: number | null;
  rotate_after_reveal: boolean;
  reveal_reason_required: boolean;
  host_count?: number;
}

export interface HostRow {
  id: number;
  hostname: string;
  hardware_serial: string;
  uuid: string;
  platform: Platform;
  os_version: string;
  team_id: number | null;
  team_name: string | null;
  primary_user: string | null;
  seen_time: string;
  status: DiskEncryptionStatus | null;
  detail: string;
}

export type HostSortKey = 'hostname' | 'hardware_serial' | 'platform' | 'status' | 'team_name' | 'seen_time';

export interface HostsQuery {
  query?: string;
  status?: DiskEncryptionStatus;
  platform?: Platform;
  team_id?: number;
  order_key?: HostSortKey;
  order_direction?: 'asc' | 'desc';
  after?: string;
  before?: string;
  per_page?: number;
}
export interface HostsPage {
  hosts: HostRow[];
  next_cursor: string | null;
  prev_cursor: string | null;
  total: number;
}

export interface Volume {
  device: string;
  label: string | null;
  encryption: string;
  key_slot: number | null;
}
export interface HostDetail extends HostRow {
  enrolled_at: string;
  volumes: Volume[];
  key: {
    escrowed: boolean;
    decryptable: boolean | null;
    updated_at: string;
    client_error: string;
  } | null;
  rotate_requested: boolean;
}

export interface TimelineEvent {
  at: string;
  kind: string;
  text: string;
  actor: string | null;
}

export interface ArchivedKeyRow {
  id: number;
  key_slot: number | null;
  reason: string;
  created_at: string;
  archived_at: string;
}

export interface RevealResponse {
  host_id: number;
  key: string;
  updated_at: string;
  rotation_requested: boolean;
}

export interface StatusCount {
  status: DiskEncryptionStatus | 'unmanaged';
  platform: Platform;
  team_id: number | null;
  count: number;
}
export interface DailySnapshot {
  date: string;
  counts: Partial<Record<DiskEncryptionStatus | 'unmanaged', number>>;
}
export interface NeedsAttention {
  host_id: number;
  hostname: string;
  status: DiskEncryptionStatus | null;
  reason: string;
  since: string | null;
}
export interface DashboardResponse {
  counts: StatusCount[];
  daily: DailySnapshot[];
  needs_attention: NeedsAttention[];
}

export interface Activity {
  id: number;
  created_at: string;
  actor: string;
  type: string;
  host_id: number | null;
  host_display_name: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}
export interface ActivitiesQuery {
  actor?: string;
  host_id?: number;
  type?: string;
  since?: string;
  until?: string;
  after?: string;
  before?: string;
  per_page?: number;
}
export interface ActivitiesPage {
  activities: Activity[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

export interface OrgSettings {
  org_name: string;
  contact_url: string;
  contact_email: string;
  contact_phone: string;
}

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  team_ids: number[];
  created_at: string;
}
export interface ApiTokenRow {
  id: number;
  name: string;
  role: Role;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}
export interface CreatedToken extends ApiTokenRow {
  token: string;
}
