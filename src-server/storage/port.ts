import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type {
  Activity,
  ActivityQuery,
  ArchivedKey,
  AttentionQuery,
  DailyCount,
  DecryptabilityAnswer,
  EncryptionPolicy,
  EncryptionPolicyChange,
  EnrollOutcome,
  HostClaim,
  HostFilter,
  HostIdentity,
  HostPageRequest,
  HostView,
  NewActivity,
  NewKey,
  NewSession,
  NewToken,
  NewUser,
  PendingHost,
  Scope,
  SessionRecord,
  SetDiskEncryptionOptions,
  StatusCount,
  StatusReportFacts,
  Team,
  TokenRecord,
  UncheckedKey,
  UserChange,
  UserRecord,
} from './records.js';
import type { SsoStore } from './sso-port.js';

export type * from './records.js';
export type { SsoStore } from './sso-port.js';

/**
 * The storage port: everything the server needs from a database, in domain words. One SQL implementation
 * (sql-store.ts) serves it over two drivers (sqlite.ts, postgres.ts), so both databases share the schema,
 * the migrations and the exact semantics, and the same test suite runs against both.
 */
export interface EscrowStore {
  migrate(): Promise<void>;
  close(): Promise<void>;

  getSetting(name: string): Promise<string | null>;
  /** Returns false when the setting already existed (it is never overwritten). */
  insertSetting(name: string, value: string): Promise<boolean>;

  /** Inserts or replaces a setting (organisation info, …). */
  putSetting(name: string, value: string): Promise<void>;

  /**
   * Enroll or re-enroll (same hardware_uuid). A re-enroll archives the current key, deletes it and gives
   * the host a new node key, so escrow starts again. A re-enroll must prove the host's identity (`claim`,
   * signature already checked); one that does not becomes a separate pending host (sql/host-enrollment.ts).
   */
  enrollHost(identity: HostIdentity, nodeKeyHash: string, claim?: HostClaim | null): Promise<EnrollOutcome>;
  listPendingHosts(): Promise<PendingHost[]>;
  /** An admin's merge of a pending host into the host it claims to be; null when it is not pending. */
  mergePendingHost(pendingId: number): Promise<{ hostId: number; hardwareUuid: string } | null>;
  findHostByNodeKeyHash(nodeKeyHash: string): Promise<HostView | null>;
  getHostView(hostId: number): Promise<HostView | null>;
  listHostViews(filter: { teamId?: number | null }): Promise<HostView[]>;
  /** One page of hosts in the requested order (keyset `after`, or a small `offset`). */
  searchHosts(page: HostPageRequest): Promise<HostView[]>;
  countHosts(filter: HostFilter): Promise<number>;
  /** Exact hardware UUID, then serial, then hostname (lowest id wins when several hosts share one). */
  findHostByIdentifier(identifier: string, scope: Scope): Promise<HostView | null>;
  touchHost(hostId: number): Promise<void>;
  /** Stores the report and what it says about the people at the host (StatusReportFacts). */
  saveStatusReport(hostId: number, reportJson: string, facts?: StatusReportFacts): Promise<void>;

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

  createTeam(name: string, enabled?: boolean, policy?: EncryptionPolicyChange): Promise<Team>;
  renameTeam(id: number, name: string): Promise<boolean>;
  /** "No team"'s encryption switch and policy (it has no row in teams). */
  noTeamSettings(): Promise<{ enabled: boolean; policy: EncryptionPolicy }>;
  /** Hosts per team id (null = "no team"). */
  teamHostCounts(): Promise<Map<number | null, number>>;
  listTeams(): Promise<Team[]>;
  getTeam(id: number): Promise<Team | null>;
  /**
   * teamId null is "no team". Turning encryption off archives and deletes the keys of its hosts. Policy
   * fields left undefined keep their value; null clears them. Returns the ids of the team's hosts, once
   * their stored statuses are current too (opts.beforeStatusRefresh runs before that).
   */
  setDiskEncryption(
    teamId: number | null,
    enabled: boolean,
    policy?: EncryptionPolicyChange,
    opts?: SetDiskEncryptionOptions,
  ): Promise<number[]>;
  /** Moves hosts; a host moving to a team without encryption loses (archives) its key, as in Fleet. */
  transferHosts(teamId: number | null, hostIds: readonly number[]): Promise<number[]>;

  addActivity(activity: NewActivity): Promise<void>;
  listActivities(query: ActivityQuery): Promise<Activity[]>;

  /** Hosts by status × platform × team. */
  statusCounts(filter: Pick<HostFilter, 'teamId' | 'scope'>): Promise<StatusCount[]>;
  /** Hosts that may need attention, in id order after `afterId`; domain/attention.ts says why. */
  attentionCandidates(q: AttentionQuery, limit: number, afterId?: number): Promise<HostView[]>;
  countAttentionCandidates(q: AttentionQuery): Promise<number>;
  /** Replaces the day's snapshot (YYYY-MM-DD) with today's counts per team, platform and status. */
  writeDailySnapshot(day: string): Promise<void>;
  /** Snapshot counts per day and status from `fromDay` on, summed over the teams and platforms asked for. */
  listDailySnapshots(q: {
    fromDay: string;
    teamId?: number | null | undefined;
    scope?: Scope | undefined;
    platform?: Platform | undefined;
  }): Promise<DailyCount[]>;

  addAdminToken(tokenHash: string, token: NewToken): Promise<number>;
  findAdminToken(tokenHash: string): Promise<(TokenRecord & { token_hash: string }) | null>;
  listAdminTokens(): Promise<TokenRecord[]>;
  revokeAdminToken(id: number): Promise<boolean>;
  touchAdminToken(id: number, at: string): Promise<void>;

  /** null when the email is taken. */
  createUser(user: NewUser): Promise<UserRecord | null>;
  getUser(id: number): Promise<UserRecord | null>;
  findUserByEmail(email: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(id: number, change: UserChange): Promise<UserRecord | null>;
  /** Deletes the user and their sessions. */
  deleteUser(id: number): Promise<boolean>;
  recordSignIn(userId: number, at: string): Promise<void>;

  createSession(session: NewSession): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | null>;
  touchSession(idHash: string, at: string): Promise<void>;
  revokeSession(idHash: string, reason: string): Promise<void>;
  /** Revokes every live session of the user; returns how many. */
  revokeUserSessions(userId: number, reason: string): Promise<number>;
  /** Deletes sessions that ended (expired or revoked) before `before`. */
  deleteEndedSessions(before: string): Promise<number>;

  /** Single sign-on, people linked to computers, the self-service portal (sso-port.ts). */
  readonly sso: SsoStore;
}
