import type { HostChange } from './change-tracking-store.js';
import type { SsoStore } from './sso-port.js';
import type {
  LinkVia,
  PersonRecord,
  SelfServiceSettings,
  SignedInIdentity,
  SsoLogin,
} from './sso-records.js';

/**
 * SsoStore with the change feed (see ChangeTrackingStore): a write that changes what a host's agent sees
 * (its link, the used-key mark, a linked person's email or name) reports the hosts before and after it.
 * Spelled out method by method like ChangeTrackingStore, so a new write cannot slip past the cache.
 */
export class ChangeTrackingSsoStore implements SsoStore {
  constructor(
    private readonly inner: SsoStore,
    private readonly listener: (change: HostChange) => void,
    /** Tells other servers on the same database (src-server/cluster/); awaited before a write returns. */
    private readonly announce?: (change: HostChange) => Promise<void>,
  ) {}

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

  // A person's email and name are copied onto their hosts: which hosts is known only inside the write.
  personSignedIn(identity: SignedInIdentity): Promise<PersonRecord | null> {
    return this.write({ kind: 'all' }, () => this.inner.personSignedIn(identity));
  }
  personByEmail(email: string, at: string) {
    return this.inner.personByEmail(email, at);
  }
  getPerson(id: number) {
    return this.inner.getPerson(id);
  }
  setPersonUser(personId: number, userId: number | null, ssoDisabled: boolean) {
    return this.inner.setPersonUser(personId, userId, ssoDisabled);
  }
  createLogin(login: SsoLogin) {
    return this.inner.createLogin(login);
  }
  takeLogin(idHash: string, at: string) {
    return this.inner.takeLogin(idHash, at);
  }
  deleteExpiredLogins(at: string) {
    return this.inner.deleteExpiredLogins(at);
  }
  createPortalSession(s: Parameters<SsoStore['createPortalSession']>[0]) {
    return this.inner.createPortalSession(s);
  }
  findPortalSession(idHash: string) {
    return this.inner.findPortalSession(idHash);
  }
  touchPortalSession(idHash: string, at: string) {
    return this.inner.touchPortalSession(idHash, at);
  }
  revokePortalSession(idHash: string, at: string) {
    return this.inner.revokePortalSession(idHash, at);
  }
  revokePersonPortalSessions(personId: number, at: string) {
    return this.inner.revokePersonPortalSessions(personId, at);
  }
  createLinkCode(hostId: number, codeHash: string, at: string, expiresAt: string) {
    return this.inner.createLinkCode(hostId, codeHash, at, expiresAt);
  }
  findLinkCode(codeHash: string) {
    return this.inner.findLinkCode(codeHash);
  }
  redeemLinkCode(codeHash: string, personId: number, at: string) {
    // Which host the code names is known only afterwards; nothing may be cached meanwhile.
    return this.write(
      { kind: 'hosts', hostIds: [] },
      () => this.inner.redeemLinkCode(codeHash, personId, at),
      (hostId) => ({ kind: 'hosts', hostIds: hostId === null ? [] : [hostId] }),
    );
  }
  linkHosts(links: readonly { hostId: number; personId: number | null }[], via: LinkVia, at: string) {
    return this.write({ kind: 'hosts', hostIds: links.map((l) => l.hostId) }, () =>
      this.inner.linkHosts(links, via, at),
    );
  }
  hostsBySerial(serials: readonly string[]) {
    return this.inner.hostsBySerial(serials);
  }
  hostsOfPerson(personId: number) {
    return this.inner.hostsOfPerson(personId);
  }
  markRecoveryKeyUsed(hostId: number, shownTo: string) {
    return this.write({ kind: 'hosts', hostIds: [hostId] }, () =>
      this.inner.markRecoveryKeyUsed(hostId, shownTo),
    );
  }
  selfServicePolicy(teamId: number | null) {
    return this.inner.selfServicePolicy(teamId);
  }
  selfServicePolicies() {
    return this.inner.selfServicePolicies();
  }
  setSelfServicePolicy(teamId: number | null, settings: SelfServiceSettings, at: string) {
    return this.inner.setSelfServicePolicy(teamId, settings, at);
  }
  addSelfServiceReveal(personId: number, hostId: number, reason: string, at: string) {
    return this.inner.addSelfServiceReveal(personId, hostId, reason, at);
  }
  countSelfServiceReveals(personId: number, since: string) {
    return this.inner.countSelfServiceReveals(personId, since);
  }
  createBreakGlassCode(userId: number, codeHash: string, at: string, expiresAt: string) {
    return this.inner.createBreakGlassCode(userId, codeHash, at, expiresAt);
  }
  redeemBreakGlassCode(codeHash: string, at: string) {
    return this.inner.redeemBreakGlassCode(codeHash, at);
  }
}
