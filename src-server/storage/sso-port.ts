import type { HostView } from './records.js';
import type {
  LinkCodeRecord,
  LinkVia,
  PersonRecord,
  PortalSessionRecord,
  SelfServiceSettings,
  SignedInIdentity,
  SsoLogin,
} from './sso-records.js';

/**
 * The storage port's part for single sign-on, people linked to computers and the self-service portal
 * (`EscrowStore.sso`). Times are passed in by the caller (the server's clock), so tests can move them.
 * Writes that change what a host's agent sees (its link, the used-key mark) go through the change feed
 * like every host write (ChangeTrackingStore).
 */
export interface SsoStore {
  /**
   * The person behind a sign-in: found by issuer + subject, else by email (binding the subject to a
   * person an admin named before), else made. Their email, name and groups are brought up to date (the
   * hosts linked to them too). Null when the email belongs to another person bound to another subject.
   */
  personSignedIn(identity: SignedInIdentity): Promise<PersonRecord | null>;
  /** The person with this email, made if missing (an admin or a CSV import names them before sign-in). */
  personByEmail(email: string, at: string): Promise<PersonRecord>;
  getPerson(id: number): Promise<PersonRecord | null>;
  /** Ties the person to their console account (or none) and records whether single sign-on disabled it. */
  setPersonUser(personId: number, userId: number | null, ssoDisabled: boolean): Promise<void>;

  createLogin(login: SsoLogin): Promise<void>;
  /** Removes and returns the sign-in in flight if it exists and has not expired: it works once. */
  takeLogin(idHash: string, at: string): Promise<SsoLogin | null>;
  deleteExpiredLogins(at: string): Promise<number>;

  createPortalSession(s: Omit<PortalSessionRecord, 'revoked_at'>): Promise<void>;
  findPortalSession(idHash: string): Promise<PortalSessionRecord | null>;
  touchPortalSession(idHash: string, at: string): Promise<void>;
  revokePortalSession(idHash: string, at: string): Promise<void>;
  revokePersonPortalSessions(personId: number, at: string): Promise<number>;

  /** A new link code for the host; its earlier unused codes stop working. */
  createLinkCode(hostId: number, codeHash: string, at: string, expiresAt: string): Promise<void>;
  /** The code if it exists (used or not, expired or not: the caller says which). */
  findLinkCode(codeHash: string): Promise<LinkCodeRecord | null>;
  /**
   * Uses the code and links its host to the person, in one transaction: null (nothing changed) when the
   * code is unknown, used or expired, or the host is linked to someone else meanwhile.
   */
  redeemLinkCode(codeHash: string, personId: number, at: string): Promise<number | null>;

  /** Links hosts to people (null: unlinks). Returns the ids whose link changed. */
  linkHosts(
    links: readonly { hostId: number; personId: number | null }[],
    via: LinkVia,
    at: string,
  ): Promise<number[]>;
  /** Hosts with these hardware serials (for a CSV import): id, serial, team. */
  hostsBySerial(
    serials: readonly string[],
  ): Promise<{ id: number; hardware_serial: string; team_id: number | null }[]>;
  /** The hosts linked to the person, in id order. */
  hostsOfPerson(personId: number): Promise<HostView[]>;

  /**
   * The host's current key was shown: mark it used (its agent is told to replace it) and ask for a new key
   * (rotate_requested), in one write.
   */
  markRecoveryKeyUsed(hostId: number, shownTo: string): Promise<void>;

  /** A team's self-service settings (null = "no team"); the defaults when never set. */
  selfServicePolicy(teamId: number | null): Promise<SelfServiceSettings>;
  /** Settings that were set, by team id (null = "no team"). */
  selfServicePolicies(): Promise<Map<number | null, SelfServiceSettings>>;
  setSelfServicePolicy(teamId: number | null, settings: SelfServiceSettings, at: string): Promise<void>;
  addSelfServiceReveal(personId: number, hostId: number, reason: string, at: string): Promise<void>;
  countSelfServiceReveals(personId: number, since: string): Promise<number>;

  createBreakGlassCode(userId: number, codeHash: string, at: string, expiresAt: string): Promise<void>;
  /** Uses the code once: the user id, or null when unknown, used or expired. */
  redeemBreakGlassCode(codeHash: string, at: string): Promise<number | null>;
}
