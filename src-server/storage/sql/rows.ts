import type { Platform } from '../../../ipc/agent-server/orbit-api.js';
import type {
  Activity,
  ActorKind,
  EncryptionPolicy,
  EscrowedKey,
  Host,
  Role,
  StatusFilter,
  Team,
  TokenRecord,
  UserRecord,
} from '../records.js';
import type { SqlExecutor, SqlValue } from '../sql-driver.js';
import { LINK_COLUMNS, type LinkRow, linkOf } from './sso-rows.js';

/**
 * Rows as the databases return them, and their conversion to records. Booleans are INTEGER 0/1 and team
 * lists JSON text in both databases (see migrations/index.ts).
 */

export const now = () => new Date().toISOString();
export const bool = (v: number | null): boolean | null => (v === null ? null : v !== 0);
export const int = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

/**
 * "No team" has no row in teams; its switch and policy live in one settings row as JSON
 * ({enabled, logout_deadline, max_deferrals, reason_required?, rotate_after_reveal?}), read with one
 * point lookup per check-in.
 */
export const NO_TEAM_SETTING = 'no_team_encryption';
export const NO_POLICY: EncryptionPolicy = {
  logout_deadline: null,
  max_deferrals: null,
  reason_required: true,
  rotate_after_reveal: null,
};
export const SETTING = 'SELECT value FROM settings WHERE name = ?';

/*
 * A host view is read with separate indexed lookups rather than one LEFT JOIN: on SQLite the join cost
 * about 70 µs per check-in against 15 µs for the three lookups (measured with bench/server), and the
 * check-in path is the hottest one the server has.
 */
export const HOST_COLUMNS = `id, hardware_uuid, hardware_serial, hostname, platform, os_version, team_id, enrolled_at,
  last_seen_at, reported_status, rotate_requested, removing_enforcement, logged_in_user, disk_encryption_status,
  logout_deferrals, ${LINK_COLUMNS}`;
export const KEY_COLUMNS = `host_id, base64_encrypted, key_slot, salt, client_error, decryptable, version, escrow_id,
  created_at, updated_at`;
export const TEAM_COLUMNS =
  'id, name, enable_disk_encryption, logout_deadline, max_deferrals, reason_required, rotate_after_reveal';
export const TEAM_BY_ID = `SELECT ${TEAM_COLUMNS} FROM teams WHERE id = ?`;

export interface HostRow extends LinkRow {
  id: number;
  hardware_uuid: string;
  hardware_serial: string;
  hostname: string;
  platform: Platform;
  os_version: string;
  team_id: number | null;
  enrolled_at: string;
  last_seen_at: string;
  reported_status: string | null;
  rotate_requested: number;
  removing_enforcement: number;
  logged_in_user: string | null;
  disk_encryption_status: StatusFilter;
  logout_deferrals: number | null;
}

export function toHost(row: HostRow): Host {
  const { linked_person_id, linked_email, linked_name, linked_at, linked_via, ...r } = row;
  const { recovery_key_used_at, recovery_key_shown_to, ...rest } = r;
  return {
    ...rest,
    rotate_requested: r.rotate_requested !== 0,
    removing_enforcement: r.removing_enforcement !== 0,
    ...linkOf({ linked_person_id, linked_email, linked_name, linked_at, linked_via }),
    recovery_key_used:
      recovery_key_used_at === null
        ? null
        : { used_at: recovery_key_used_at, shown_to: recovery_key_shown_to ?? 'owner' },
  };
}

export interface KeyViewRow {
  host_id: number;
  base64_encrypted: string | null;
  key_slot: number | null;
  salt: string | null;
  client_error: string;
  decryptable: number | null;
  version: number;
  escrow_id: string | null;
  created_at: string;
  updated_at: string;
}

export function toKey(r: KeyViewRow): EscrowedKey {
  return { ...r, decryptable: bool(r.decryptable) };
}

/** The current key as archive() needs it. */
export interface KeyRow {
  host_id: number;
  base64_encrypted: string | null;
  key_slot: number | null;
  salt: string | null;
  decryptable: number | null;
  version: number;
  escrow_id: string | null;
  created_at: string;
}

export interface TeamRow {
  id: number;
  name: string;
  enable_disk_encryption: number;
  logout_deadline: string | null;
  max_deferrals: number | null;
  reason_required: number;
  rotate_after_reveal: number;
}

export function policyOfRow(t: TeamRow): EncryptionPolicy {
  return {
    logout_deadline: t.logout_deadline,
    max_deferrals: t.max_deferrals,
    reason_required: t.reason_required !== 0,
    rotate_after_reveal: t.rotate_after_reveal !== 0,
  };
}

export function toTeam(r: TeamRow): Team {
  return {
    id: r.id,
    name: r.name,
    enable_disk_encryption: r.enable_disk_encryption !== 0,
    ...policyOfRow(r),
  };
}

/** What a host inherits from its team (or from "no team"). */
export interface TeamSettings {
  enabled: boolean;
  policy: EncryptionPolicy;
}

export const NO_SETTINGS: TeamSettings = { enabled: false, policy: NO_POLICY };

/** Encryption switch and policy of a team, or of "no team" (null). Off for a team that is gone. */
export async function teamSettings(q: SqlExecutor, teamId: number | null): Promise<TeamSettings> {
  if (teamId !== null) {
    const t = await q.get<TeamRow>(TEAM_BY_ID, [teamId]);
    return t ? { enabled: t.enable_disk_encryption !== 0, policy: policyOfRow(t) } : NO_SETTINGS;
  }
  const row = await q.get<{ value: string }>(SETTING, [NO_TEAM_SETTING]);
  if (!row) return NO_SETTINGS;
  const { enabled, ...policy } = JSON.parse(row.value) as { enabled: boolean } & Partial<EncryptionPolicy>;
  return { enabled, policy: { ...NO_POLICY, ...policy } };
}

/** Every team's settings plus "no team" (key null), for reads over many hosts. */
export async function allTeamSettings(q: SqlExecutor): Promise<Map<number | null, TeamSettings>> {
  const teams = await q.all<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams`);
  const out = new Map<number | null, TeamSettings>(
    teams.map((t) => [t.id, { enabled: t.enable_disk_encryption !== 0, policy: policyOfRow(t) }]),
  );
  out.set(null, await teamSettings(q, null));
  return out;
}

/** The lower-cased text the host search matches (see migration 10). */
export function searchText(h: {
  hostname: string;
  hardware_serial: string;
  hardware_uuid: string;
  logged_in_user?: string | null;
}): string {
  return [h.hostname, h.hardware_serial, h.hardware_uuid, h.logged_in_user ?? ''].join('\n').toLowerCase();
}

/** `?, ?, ?` for an IN list. */
export const placeholders = (n: number) => new Array(n).fill('?').join(', ');

/** Runs `fn` over slices of `ids` small enough for one IN list on both databases. */
export async function inChunks<T>(
  ids: readonly number[],
  fn: (chunk: readonly SqlValue[]) => Promise<T[]>,
  size = 500,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += size) out.push(...(await fn(ids.slice(i, i + size))));
  return out;
}

export const teamsJson = (teams: readonly number[] | null) => (teams === null ? null : JSON.stringify(teams));
export const parseTeams = (text: string | null): number[] | null =>
  text === null ? null : (JSON.parse(text) as number[]);

export interface UserRow extends Omit<UserRecord, 'teams' | 'disabled'> {
  teams: string | null;
  disabled: number;
}
export const USER_COLUMNS =
  'id, email, name, role, teams, password_hash, disabled, created_at, updated_at, last_sign_in_at';
export const toUser = (r: UserRow): UserRecord => ({
  ...r,
  teams: parseTeams(r.teams),
  disabled: r.disabled !== 0,
});

export interface TokenRow extends Omit<TokenRecord, 'teams'> {
  teams: string | null;
  token_hash: string;
}
export const TOKEN_COLUMNS =
  'id, name, role, teams, created_at, created_by, expires_at, revoked_at, last_used_at, token_hash';
export const toToken = (r: TokenRow): TokenRecord & { token_hash: string } => ({
  ...r,
  teams: parseTeams(r.teams),
});

export interface ActivityRow {
  id: number;
  created_at: string;
  actor: string;
  actor_kind: ActorKind;
  type: string;
  host_id: number | null;
  team_id: number | null;
  details: string;
}
export const ACTIVITY_COLUMNS = 'id, created_at, actor, actor_kind, type, host_id, team_id, details';
export const toActivity = (r: ActivityRow): Activity => ({
  ...r,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

export type { Role };
