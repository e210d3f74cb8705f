import { MIGRATIONS, migrationSql } from './migrations/index.js';
import type { EscrowStore } from './port.js';
import type {
  ActivityQuery,
  ArchivedKey,
  AttentionQuery,
  DecryptabilityAnswer,
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
  SetDiskEncryptionOptions,
  StatusReportFacts,
  Team,
  UncheckedKey,
  UserChange,
} from './records.js';
import * as activities from './sql/activities.js';
import * as enrollment from './sql/host-enrollment.js';
import * as queries from './sql/host-queries.js';
import { refreshStatuses, viewsOf } from './sql/host-views.js';
import * as keys from './sql/keys.js';
import * as people from './sql/people.js';
import {
  HOST_COLUMNS,
  type HostRow,
  KEY_COLUMNS,
  type KeyViewRow,
  now,
  SETTING,
  searchText,
  teamSettings,
  toHost,
  toKey,
} from './sql/rows.js';
import { SqlSsoStore } from './sql/sso.js';
import * as teams from './sql/teams.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** The advisory lock migrations take on PostgreSQL (any fixed number no other lock of ours uses). */
const MIGRATION_LOCK = 0x65_73_63_30;

const HOST_BY_NODE_KEY = `SELECT ${HOST_COLUMNS} FROM hosts WHERE node_key_hash = ?`;
const HOST_BY_ID = `SELECT ${HOST_COLUMNS} FROM hosts WHERE id = ?`;
const KEY_BY_HOST = `SELECT ${KEY_COLUMNS} FROM host_disk_encryption_keys WHERE host_id = ?`;

/**
 * The one SQL implementation of the storage port. Hosts, keys and teams are written here, each write
 * re-deriving the stored status of the hosts it touches in the same transaction (sql/host-views.ts); the
 * fleet-wide reads, people and activities live in sql/ by concern.
 */
export class SqlEscrowStore implements EscrowStore {
  /** PostgreSQL needs row locks for read-then-write inside a transaction; SQLite locks the whole file. */
  private readonly forUpdate: string;
  readonly sso: SqlSsoStore;

  constructor(private readonly db: SqlDriver) {
    this.forUpdate = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    this.sso = new SqlSsoStore(db, this.forUpdate);
  }

  async migrate(): Promise<void> {
    // Several servers starting together on one PostgreSQL: each step waits for a transaction-scoped
    // advisory lock, so one server applies a migration and the others then find it recorded.
    const serialize = (tx: SqlExecutor) =>
      this.db.dialect === 'postgres' ? tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]) : null;
    await this.db.transaction(async (tx) => {
      await serialize(tx);
      await tx.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
      );
    });
    for (const m of MIGRATIONS) {
      await this.db.transaction(async (tx) => {
        await serialize(tx);
        const done = await tx.get('SELECT id FROM schema_migrations WHERE id = ?', [m.id]);
        if (done) return;
        await tx.exec(migrationSql(m, this.db.dialect));
        await tx.run('INSERT INTO schema_migrations (id, name) VALUES (?, ?)', [m.id, m.name]);
      });
    }
    // A policy change whose status refresh a killed server did not finish (teams.setDiskEncryption).
    await teams.refreshQueuedStatuses(this.db);
    // Hosts from before migration 10 (or bulk-loaded ones) get their status derived once, in slices.
    for (;;) {
      const pending = await this.db.all<{ id: number }>(
        "SELECT id FROM hosts WHERE disk_encryption_status = 'pending' ORDER BY id LIMIT 5000",
      );
      if (pending.length === 0) break;
      await this.db.transaction((tx) =>
        refreshStatuses(
          tx,
          pending.map((p) => p.id),
          { quiet: true },
        ),
      );
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async getSetting(name: string): Promise<string | null> {
    const r = await this.db.get<{ value: string }>(SETTING, [name]);
    return r?.value ?? null;
  }

  async insertSetting(name: string, value: string): Promise<boolean> {
    const r = await this.db.run(
      'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      [name, value],
    );
    return r.changes === 1;
  }

  async putSetting(name: string, value: string): Promise<void> {
    await this.db.run(
      'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, value],
    );
  }

  enrollHost(
    identity: HostIdentity,
    nodeKeyHash: string,
    claim: HostClaim | null = null,
  ): Promise<EnrollOutcome> {
    return this.db.transaction((tx) =>
      enrollment.enrollHost(tx, this.forUpdate, identity, nodeKeyHash, claim),
    );
  }

  listPendingHosts(): Promise<PendingHost[]> {
    return enrollment.listPendingHosts(this.db);
  }

  mergePendingHost(pendingId: number) {
    return this.db.transaction((tx) => enrollment.mergePendingHost(tx, this.forUpdate, pendingId));
  }

  async findHostByNodeKeyHash(nodeKeyHash: string): Promise<HostView | null> {
    const h = await this.db.get<HostRow>(HOST_BY_NODE_KEY, [nodeKeyHash]);
    return h ? this.view(h) : null;
  }

  async getHostView(hostId: number): Promise<HostView | null> {
    const h = await this.db.get<HostRow>(HOST_BY_ID, [hostId]);
    return h ? this.view(h) : null;
  }

  /** Whole-fleet reads (the long-poll fan-out) load each table once and join in memory. */
  async listHostViews(filter: { teamId?: number | null }): Promise<HostView[]> {
    const w = queries.hostWhere(filter.teamId === undefined ? {} : { teamId: filter.teamId });
    const hosts = await this.db.all<HostRow>(
      `SELECT ${HOST_COLUMNS} FROM hosts ${w.sql} ORDER BY id`,
      w.params,
    );
    return viewsOf(this.db, hosts);
  }

  searchHosts(page: HostPageRequest): Promise<HostView[]> {
    return queries.searchHosts(this.db, page);
  }

  countHosts(filter: HostFilter): Promise<number> {
    return queries.countHosts(this.db, filter);
  }

  findHostByIdentifier(identifier: string, scope: Scope): Promise<HostView | null> {
    return queries.findHostByIdentifier(this.db, identifier, scope);
  }

  private async view(h: HostRow): Promise<HostView> {
    const key = await this.db.get<KeyViewRow>(KEY_BY_HOST, [h.id]);
    const team = await teamSettings(this.db, h.team_id);
    return {
      host: toHost(h),
      key: key ? toKey(key) : null,
      encryption_enabled: team.enabled,
      policy: team.policy,
    };
  }

  async touchHost(hostId: number): Promise<void> {
    await this.db.run('UPDATE hosts SET last_seen_at = ? WHERE id = ?', [now(), hostId]);
  }

  saveStatusReport(hostId: number, reportJson: string, facts: StatusReportFacts = {}): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        'UPDATE hosts SET reported_status = ?, last_seen_at = ?, logout_deferrals = ? WHERE id = ?',
        [reportJson, now(), facts.logout_deferrals ?? null, hostId],
      );
      const person = facts.logged_in_user;
      if (person) {
        // A new name changes the search text too (and, on SQLite, the trigram index through its trigger).
        const h = await tx.get<{ hostname: string; hardware_serial: string; hardware_uuid: string }>(
          `SELECT hostname, hardware_serial, hardware_uuid FROM hosts WHERE id = ? AND
             (logged_in_user IS NULL OR logged_in_user <> ?)${this.forUpdate}`,
          [hostId, person],
        );
        if (h) {
          await tx.run('UPDATE hosts SET logged_in_user = ?, search_text = ? WHERE id = ?', [
            person,
            searchText({ ...h, logged_in_user: person }),
            hostId,
          ]);
        }
      }
      await refreshStatuses(tx, [hostId]);
    });
  }

  storeKey(hostId: number, key: NewKey) {
    return keys.storeKey(this.db, this.forUpdate, hostId, key);
  }
  recordClientError(hostId: number, message: string) {
    return keys.recordClientError(this.db, this.forUpdate, hostId, message);
  }
  setDecryptable(answers: readonly DecryptabilityAnswer[]) {
    return keys.setDecryptable(this.db, answers);
  }
  listUncheckedKeys(limit: number, afterHostId = 0): Promise<UncheckedKey[]> {
    return keys.listUncheckedKeys(this.db, limit, afterHostId);
  }
  listArchivedKeys(hostId: number): Promise<ArchivedKey[]> {
    return keys.listArchivedKeys(this.db, hostId);
  }

  async requestRotation(hostId: number): Promise<boolean> {
    const r = await this.db.run('UPDATE hosts SET rotate_requested = 1 WHERE id = ?', [hostId]);
    return r.changes === 1;
  }

  clearRemovingEnforcement(hostId: number): Promise<void> {
    return this.db.transaction(async (tx) => {
      const r = await tx.run(
        'UPDATE hosts SET removing_enforcement = 0 WHERE id = ? AND removing_enforcement = 1',
        [hostId],
      );
      if (r.changes) await refreshStatuses(tx, [hostId]);
    });
  }

  createTeam(name: string, enabled = false, policy: EncryptionPolicyChange = {}): Promise<Team> {
    return teams.createTeam(this.db, name, enabled, policy);
  }
  async renameTeam(id: number, name: string): Promise<boolean> {
    return (await this.db.run('UPDATE teams SET name = ? WHERE id = ?', [name, id])).changes === 1;
  }
  listTeams() {
    return teams.listTeams(this.db);
  }
  getTeam(id: number) {
    return teams.getTeam(this.db, id);
  }
  teamHostCounts() {
    return teams.teamHostCounts(this.db);
  }
  noTeamSettings() {
    return teamSettings(this.db, null);
  }
  setDiskEncryption(
    teamId: number | null,
    enabled: boolean,
    policy: EncryptionPolicyChange = {},
    opts: SetDiskEncryptionOptions = {},
  ) {
    return teams.setDiskEncryption(
      this.db,
      this.forUpdate,
      teamId,
      enabled,
      policy,
      opts.beforeStatusRefresh,
    );
  }
  transferHosts(teamId: number | null, hostIds: readonly number[]) {
    return teams.transferHosts(this.db, this.forUpdate, teamId, hostIds);
  }

  addActivity(activity: NewActivity): Promise<void> {
    return activities.addActivity(this.db, activity);
  }
  listActivities(query: ActivityQuery) {
    return activities.listActivities(this.db, query);
  }

  statusCounts(filter: Pick<HostFilter, 'teamId' | 'scope'>) {
    return queries.statusCounts(this.db, filter);
  }
  attentionCandidates(q: AttentionQuery, limit: number, afterId?: number) {
    return queries.attentionCandidates(this.db, q, limit, afterId);
  }
  countAttentionCandidates(q: AttentionQuery) {
    return queries.countAttentionCandidates(this.db, q);
  }
  writeDailySnapshot(day: string) {
    return queries.writeDailySnapshot(this.db, day);
  }
  listDailySnapshots(q: Parameters<EscrowStore['listDailySnapshots']>[0]) {
    return queries.listDailySnapshots(this.db, q);
  }

  addAdminToken(tokenHash: string, token: NewToken) {
    return people.addAdminToken(this.db, tokenHash, token);
  }
  findAdminToken(tokenHash: string) {
    return people.findAdminToken(this.db, tokenHash);
  }
  listAdminTokens() {
    return people.listAdminTokens(this.db);
  }
  revokeAdminToken(id: number) {
    return people.revokeAdminToken(this.db, id);
  }
  touchAdminToken(id: number, at: string) {
    return people.touchAdminToken(this.db, id, at);
  }
  createUser(user: NewUser) {
    return people.createUser(this.db, user);
  }
  getUser(id: number) {
    return people.getUser(this.db, id);
  }
  findUserByEmail(email: string) {
    return people.findUserByEmail(this.db, email);
  }
  listUsers() {
    return people.listUsers(this.db);
  }
  updateUser(id: number, change: UserChange) {
    return people.updateUser(this.db, id, change);
  }
  deleteUser(id: number) {
    return people.deleteUser(this.db, id);
  }
  recordSignIn(userId: number, at: string) {
    return people.recordSignIn(this.db, userId, at);
  }
  createSession(session: NewSession) {
    return people.createSession(this.db, session);
  }
  findSession(idHash: string) {
    return people.findSession(this.db, idHash);
  }
  touchSession(idHash: string, at: string) {
    return people.touchSession(this.db, idHash, at);
  }
  revokeSession(idHash: string, reason: string) {
    return people.revokeSession(this.db, idHash, reason);
  }
  revokeUserSessions(userId: number, reason: string) {
    return people.revokeUserSessions(this.db, userId, reason);
  }
  deleteEndedSessions(before: string) {
    return people.deleteEndedSessions(this.db, before);
  }
}
