import type { Migration } from './index.js';
import { ID } from './placeholders.js';

/**
 * Single sign-on, people linked to their computers, and the self-service portal: migration ids 60–69
 * (other ranges belong to other work). Same conventions as the others: booleans INTEGER 0/1, times
 * ISO-8601 TEXT, secrets only as SHA-256 digests.
 */
export const SSO_MIGRATIONS: readonly Migration[] = [
  {
    id: 60,
    name: 'people (single sign-on identities), sign-in transactions, portal sessions',
    // A person is whoever signs in with single sign-on (or is named by an admin or a CSV import before
    // that): email is the durable key, issuer + subject are bound at the first sign-in. user_id points to
    // the console account made just in time when the identity provider's groups give a console role;
    // sso_disabled says that single sign-on (not an admin) disabled that account, so it may re-enable it.
    sql: `
CREATE TABLE people (
  id ${ID},
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  issuer TEXT NULL,
  subject TEXT NULL,
  user_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
  sso_disabled INTEGER NOT NULL DEFAULT 0,
  groups_json TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  last_sign_in_at TEXT NULL
);
CREATE UNIQUE INDEX people_subject ON people(issuer, subject);
CREATE INDEX people_user ON people(user_id);
CREATE TABLE sso_logins (
  id_hash TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  purpose TEXT NOT NULL,
  return_to TEXT NOT NULL,
  max_age INTEGER NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX sso_logins_expires ON sso_logins(expires_at);
CREATE TABLE portal_sessions (
  id_hash TEXT PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES people(id),
  auth_time TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT NULL
);
CREATE INDEX portal_sessions_person ON portal_sessions(person_id);
`,
  },
  {
    id: 61,
    name: 'hosts linked to people; link codes; the recovery key marked used',
    // linked_email and linked_name are copied from people so that a check-in (the hottest path) reads the
    // host row alone; the store keeps them in step when a person's email or name changes.
    // recovery_key_used_at: the key escrowed at or before this time was shown to its owner; a newer key
    // (created_at later) clears the mark by itself, without the key-writing code knowing about it.
    sql: `
ALTER TABLE hosts ADD COLUMN linked_person_id INTEGER NULL REFERENCES people(id);
ALTER TABLE hosts ADD COLUMN linked_email TEXT NULL;
ALTER TABLE hosts ADD COLUMN linked_name TEXT NULL;
ALTER TABLE hosts ADD COLUMN linked_at TEXT NULL;
ALTER TABLE hosts ADD COLUMN linked_via TEXT NULL;
ALTER TABLE hosts ADD COLUMN recovery_key_used_at TEXT NULL;
ALTER TABLE hosts ADD COLUMN recovery_key_shown_to TEXT NULL;
CREATE INDEX hosts_linked_person ON hosts(linked_person_id, id);
CREATE TABLE link_codes (
  code_hash TEXT PRIMARY KEY,
  host_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT NULL,
  used_by INTEGER NULL
);
CREATE INDEX link_codes_host ON link_codes(host_id);
`,
  },
  {
    id: 62,
    name: 'self-service policy per team; reveals; break-glass sign-in codes',
    // team_key is the team id, 0 for "no team" (so it can be the primary key). A team without a row has
    // the defaults (ipc/admin/self-service.ts).
    sql: `
CREATE TABLE self_service_policies (
  team_key INTEGER PRIMARY KEY,
  enabled INTEGER NOT NULL,
  reveals_per_day INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE self_service_reveals (
  id ${ID},
  person_id INTEGER NOT NULL,
  host_id INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX self_service_reveals_person ON self_service_reveals(person_id, created_at);
CREATE TABLE break_glass_codes (
  code_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT NULL
);
`,
  },
];
