/** Records of single sign-on, people linked to computers and the self-service portal (see sso-port.ts). */

export type LinkVia = 'link_code' | 'admin' | 'csv_import';

/** Who a host is linked to (copied onto the host row, so a check-in reads one row). */
export interface HostLink {
  person_id: number;
  email: string;
  name: string;
  linked_at: string;
  linked_via: LinkVia;
}

/** The key escrowed at or before `used_at` was shown; a newer key is not covered. */
export interface RecoveryKeyMark {
  used_at: string;
  /** 'owner': the linked person, in the self-service portal. */
  shown_to: string;
}

export interface PersonRecord {
  id: number;
  /** Lower-case; the durable key an admin or a CSV import names. */
  email: string;
  name: string;
  /** Bound at the first single sign-on; null for a person named by an admin who never signed in. */
  issuer: string | null;
  subject: string | null;
  /** The console account made for this person when their groups gave a role. */
  user_id: number | null;
  /** Single sign-on (not an admin) disabled that account because the groups stopped giving a role. */
  sso_disabled: boolean;
  groups: string[];
  created_at: string;
  last_sign_in_at: string | null;
}

/** What a sign-in tells about a person: the identity provider's subject and claims. */
export interface SignedInIdentity {
  issuer: string;
  subject: string;
  email: string;
  name: string;
  groups: string[];
  at: string;
}

export type SsoPurpose = 'console' | 'portal';

/** A sign-in in flight: what the callback must find and check, once. */
export interface SsoLogin {
  /** SHA-256 of the random value in the browser's sign-in cookie. */
  id_hash: string;
  state: string;
  nonce: string;
  code_verifier: string;
  purpose: SsoPurpose;
  return_to: string;
  /** max_age sent to the identity provider (a fresh sign-in), or null. */
  max_age: number | null;
  created_at: string;
  expires_at: string;
}

export interface PortalSessionRecord {
  id_hash: string;
  person_id: number;
  /** When the person last authenticated at the identity provider (the ID token's auth_time). */
  auth_time: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface LinkCodeRecord {
  code_hash: string;
  host_id: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SelfServiceSettings {
  enabled: boolean;
  reveals_per_day: number;
}
