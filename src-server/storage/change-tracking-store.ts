import type { EscrowStore } from './port.js';
import type {
  ActivityQuery,
  AttentionQuery,
  DecryptabilityAnswer,
  EncryptionPolicyChange,
  HostClaim,
  HostFilter,
  HostIdentity,
  HostPageRequest,
  NewActivity,
  NewKey,
  NewSession,
  NewToken,
  NewUser,
  Scope,
  SetDiskEncryptionOptions,
  StatusReportFacts,
  UserChange,
} from './records.js';
import { ChangeTrackingSsoStore } from './sso-change-tracking.js';

/**
 * Which hosts' views (host row, key, team switch and policy) a write may change: `hosts` lists them,
 * `all` means any host (a team's switch, the "no team" setting), `touched` is only a host's last_seen_at.
 */
export type HostChange =
  | { kind: 'hosts'; hostIds: readonly number[] }
  | { kind: 'all' }
  | { kind: 'touched'; hostId: number };

/**
 * The store, telling a listener about every write that can change what a host's view holds, once before the
 * write starts and once after it ended (committed or failed). Both ends matter to a cache of views: a read
 * that overlapped the write in any way must not be cached (see CheckinCache).
 *
 * A class that spells out every method of the port rather than a Proxy: a write method added to the port
 * does not compile here until someone decides what it changes, so no write can slip past the cache.
 */
export class ChangeTrackingStore implements EscrowStore {
  constructor(
    private readonly inner: EscrowStore,
    private readonly listener: (change: HostChange) => void,
    /** Tells other servers on the same database (src-server/cluster/); awaited before a write returns. */
    private readonly announce?: (change: HostChange) => Promise<void>,
  ) {}

  private ssoTracking: ChangeTrackingSsoStore | undefined;
  get sso(): ChangeTrackingSsoStore {
    this.ssoTracking ??= new ChangeTrackingSsoStore(this.inner.sso, this.listener, this.announce);
    return this.ssoTracking;
  }

  private async write<T>(
    change: HostChange,
    fn: () => Promise<T>,
    after: (r: T) => HostChange = () => change,
  ) {
    this.listener(change);
    let result: T | undefined;
    try {
      result = await fn();
    } finally {
      this.listener(result === undefined ? change : after(result));
    }
    if (this.announce) await this.announce(result === undefined ? change : after(result));
    return result as T;
  }

  migrate() {
    return this.write({ kind: 'all' }, () => this.inner.migrate());
  }
  close() {
    return this.write({ kind: 'all' }, () => this.inner.close());
  }
  getSetting(name: string) {
    return this.inner.getSetting(name);
  }
  insertSetting(name: string, value: string) {
    // Settings hold the "no team" switch; any setting write is treated as one.
    return this.write({ kind: 'all' }, () => this.inner.insertSetting(name, value));
  }
  putSetting(name: string, value: string) {
    return this.write({ kind: 'all' }, () => this.inner.putSetting(name, value));
  }
  enrollHost(identity: HostIdentity, nodeKeyHash: string, claim: HostClaim | null = null) {
    // Which host a re-enroll replaces is known only afterwards; before, nothing may be cached meanwhile.
    return this.write(
      { kind: 'hosts', hostIds: [] },
      () => this.inner.enrollHost(identity, nodeKeyHash, claim),
      (r) => ({ kind: 'hosts', hostIds: [r.hostId] }),
    );
  }
  listPendingHosts() {
    return this.inner.listPendingHosts();
  }
  mergePendingHost(pendingId: number) {
    // The known host takes the pending one's node key; which host that is shows only inside. A rare admin
    // action, so everything cached is dropped.
    return this.write({ kind: 'all' }, () => this.inner.mergePendingHost(pendingId));
  }
  findHostByNodeKeyHash(nodeKeyHash: string) {
    return this.inner.findHostByNodeKeyHash(nodeKeyHash);
  }
  getHostView(hostId: number) {
    return this.inner.getHostView(hostId);
  }
  listHostViews(filter: { teamId?: number | null }) {
    return this.inner.listHostViews(filter);
  }
  searchHosts(page: HostPageRequest) {
    return this.inner.searchHosts(page);
  }
  countHosts(filter: HostFilter) {
    return this.inner.countHosts(filter);
  }
  findHostByIdentifier(identifier: string, scope: Scope) {
    return this.inner.findHostByIdentifier(identifier, scope);
  }
  touchHost(hostId: number) {
    return this.write({ kind: 'touched', hostId }, () => this.inner.touchHost(hostId));
  }
  saveStatusReport(hostId: number, reportJson: string, facts?: StatusReportFacts) {
    return this.write(hosts([hostId]), () => this.inner.saveStatusReport(hostId, reportJson, facts));
  }
  storeKey(hostId: number, key: NewKey) {
    return this.write(hosts([hostId]), () => this.inner.storeKey(hostId, key));
  }
  recordClientError(hostId: number, message: string) {
    return this.write(hosts([hostId]), () => this.inner.recordClientError(hostId, message));
  }
  setDecryptable(answers: readonly DecryptabilityAnswer[]) {
    return this.write(hosts(answers.map((a) => a.hostId)), () => this.inner.setDecryptable(answers));
  }
  listUncheckedKeys(limit: number, afterHostId?: number) {
    return this.inner.listUncheckedKeys(limit, afterHostId);
  }
  listArchivedKeys(hostId: number) {
    return this.inner.listArchivedKeys(hostId);
  }
  requestRotation(hostId: number) {
    return this.write(hosts([hostId]), () => this.inner.requestRotation(hostId));
  }
  clearRemovingEnforcement(hostId: number) {
    return this.write(hosts([hostId]), () => this.inner.clearRemovingEnforcement(hostId));
  }
  createTeam(name: string, enabled?: boolean, policy?: EncryptionPolicyChange) {
    // A new team has no hosts yet.
    return this.inner.createTeam(name, enabled, policy);
  }
  renameTeam(id: number, name: string) {
    // Agents do not see team names.
    return this.inner.renameTeam(id, name);
  }
  teamHostCounts() {
    return this.inner.teamHostCounts();
  }
  noTeamSettings() {
    return this.inner.noTeamSettings();
  }
  listTeams() {
    return this.inner.listTeams();
  }
  getTeam(id: number) {
    return this.inner.getTeam(id);
  }
  setDiskEncryption(
    teamId: number | null,
    enabled: boolean,
    policy?: EncryptionPolicyChange,
    opts?: SetDiskEncryptionOptions,
  ) {
    // Every host of the team changes; which ones those are is the store's to say, so all are dropped. The
    // write ends after the status refresh; reads in between (the long-poll answers) see the committed
    // change and are just not cached.
    return this.write({ kind: 'all' }, () => this.inner.setDiskEncryption(teamId, enabled, policy, opts));
  }
  transferHosts(teamId: number | null, hostIds: readonly number[]) {
    return this.write(hosts(hostIds), () => this.inner.transferHosts(teamId, hostIds));
  }
  // Below: nothing a host's view holds (activities, dashboard reads, people, sessions, tokens).
  addActivity(activity: NewActivity) {
    return this.inner.addActivity(activity);
  }
  listActivities(query: ActivityQuery) {
    return this.inner.listActivities(query);
  }
  statusCounts(filter: Pick<HostFilter, 'teamId' | 'scope'>) {
    return this.inner.statusCounts(filter);
  }
  attentionCandidates(q: AttentionQuery, limit: number, afterId?: number) {
    return this.inner.attentionCandidates(q, limit, afterId);
  }
  countAttentionCandidates(q: AttentionQuery) {
    return this.inner.countAttentionCandidates(q);
  }
  writeDailySnapshot(day: string) {
    return this.inner.writeDailySnapshot(day);
  }
  listDailySnapshots(q: Parameters<EscrowStore['listDailySnapshots']>[0]) {
    return this.inner.listDailySnapshots(q);
  }
  addAdminToken(tokenHash: string, token: NewToken) {
    return this.inner.addAdminToken(tokenHash, token);
  }
  findAdminToken(tokenHash: string) {
    return this.inner.findAdminToken(tokenHash);
  }
  listAdminTokens() {
    return this.inner.listAdminTokens();
  }
  revokeAdminToken(id: number) {
    return this.inner.revokeAdminToken(id);
  }
  touchAdminToken(id: number, at: string) {
    return this.inner.touchAdminToken(id, at);
  }
  createUser(user: NewUser) {
    return this.inner.createUser(user);
  }
  getUser(id: number) {
    return this.inner.getUser(id);
  }
  findUserByEmail(email: string) {
    return this.inner.findUserByEmail(email);
  }
  listUsers() {
    return this.inner.listUsers();
  }
  updateUser(id: number, change: UserChange) {
    return this.inner.updateUser(id, change);
  }
  deleteUser(id: number) {
    return this.inner.deleteUser(id);
  }
  recordSignIn(userId: number, at: string) {
    return this.inner.recordSignIn(userId, at);
  }
  createSession(session: NewSession) {
    return this.inner.createSession(session);
  }
  findSession(idHash: string) {
    return this.inner.findSession(idHash);
  }
  touchSession(idHash: string, at: string) {
    return this.inner.touchSession(idHash, at);
  }
  revokeSession(idHash: string, reason: string) {
    return this.inner.revokeSession(idHash, reason);
  }
  revokeUserSessions(userId: number, reason: string) {
    return this.inner.revokeUserSessions(userId, reason);
  }
  deleteEndedSessions(before: string) {
    return this.inner.deleteEndedSessions(before);
  }
}

const hosts = (hostIds: readonly number[]): HostChange => ({ kind: 'hosts', hostIds });
