import type { Migration } from './index.js';
import { ID, NL } from './placeholders.js';

/**
 * The admin console's schema: migration ids 10–29 (other ranges belong to other work). Same conventions
 * as the first migrations: booleans INTEGER 0/1, times ISO-8601 TEXT, team lists JSON TEXT.
 */
export const ADMIN_MIGRATIONS: readonly Migration[] = [
  {
    id: 10,
    name: 'hosts: materialized disk-encryption status, logged-in user, search text, list indexes',
    // The status is computed by domain/status.ts and written by the store whenever a host's view changes,
    // so lists can filter, sort and count by status in SQL over 100,000 hosts. 'unmanaged' = null status.
    // search_text is the lower-cased hostname, serial, UUID and user joined by newlines: one substring
    // test per row instead of four case-insensitive ones. The backfill of existing hosts happens in code.
    sql: `
ALTER TABLE hosts ADD COLUMN disk_encryption_status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE hosts ADD COLUMN logged_in_user TEXT NULL;
ALTER TABLE hosts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE hosts SET search_text = LOWER(hostname || ${NL} || hardware_serial || ${NL} || hardware_uuid);
CREATE INDEX hosts_hostname ON hosts(hostname, id);
CREATE INDEX hosts_serial ON hosts(hardware_serial, id);
CREATE INDEX hosts_seen ON hosts(last_seen_at, id);
CREATE INDEX hosts_enrolled ON hosts(enrolled_at, id);
CREATE INDEX hosts_platform ON hosts(platform, id);
CREATE INDEX hosts_status ON hosts(disk_encryption_status, id);
CREATE INDEX hosts_team_id ON hosts(team_id, id);
`,
  },
  {
    id: 11,
    name: 'activities: actor kind, host and team, for the host timeline and filters',
    // Rows written before this migration were all admin actions with an API token.
    sql: `
ALTER TABLE activities ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'api_token';
ALTER TABLE activities ADD COLUMN host_id INTEGER NULL;
ALTER TABLE activities ADD COLUMN team_id INTEGER NULL;
CREATE INDEX activities_host ON activities(host_id, id);
CREATE INDEX activities_type ON activities(type, id);
CREATE INDEX activities_actor ON activities(actor, id);
CREATE INDEX activities_team ON activities(team_id, id);
CREATE INDEX activities_created ON activities(created_at, id);
`,
  },
  {
    id: 12,
    name: 'teams: reason required to reveal, rotate after reveal',
    sql: `
ALTER TABLE teams ADD COLUMN reason_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE teams ADD COLUMN rotate_after_reveal INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    id: 13,
    name: 'users and server-side sessions',
    sql: `
CREATE TABLE users (
  id ${ID},
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  teams TEXT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_sign_in_at TEXT NULL
);
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT NULL,
  revoked_reason TEXT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);
`,
  },
  {
    id: 14,
    name: 'API tokens: team scope, expiry, revocation, last use',
    // Tokens made before this have no scope and no expiry, and keep working (admin/observer roles).
    sql: `
ALTER TABLE admin_tokens ADD COLUMN teams TEXT NULL;
ALTER TABLE admin_tokens ADD COLUMN expires_at TEXT NULL;
ALTER TABLE admin_tokens ADD COLUMN revoked_at TEXT NULL;
ALTER TABLE admin_tokens ADD COLUMN last_used_at TEXT NULL;
ALTER TABLE admin_tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT 'cli';
`,
  },
  {
    id: 15,
    name: 'daily host status snapshots for the dashboard history',
    // team_key is team_id with 0 for "no team", so it can be part of the primary key.
    sql: `
CREATE TABLE host_status_daily (
  day TEXT NOT NULL,
  team_key INTEGER NOT NULL,
  platform TEXT NOT NULL,
  status TEXT NOT NULL,
  hosts INTEGER NOT NULL,
  PRIMARY KEY (day, team_key, platform, status)
);
`,
  },
  {
    id: 16,
    name: 'host search: a trigram index (SQLite FTS5; PostgreSQL pg_trgm where it can be installed)',
    // A substring search over 100,000 hosts scanned every row (~35 ms on SQLite, ~50 ms on PostgreSQL);
    // a trigram index answers a search of three characters or more from the index. SQLite keeps an external
    // content FTS5 table in step with hosts.search_text through triggers (only when search_text changes,
    // not on every check-in). PostgreSQL's pg_trgm is a trusted extension (PG 13+), so the database owner
    // may create it; where that is refused the search keeps working by scanning, and the log says nothing
    // worse than a NOTICE.
    sql: '',
    dialects: {
      sqlite: `
CREATE VIRTUAL TABLE hosts_search USING fts5(search_text, content='hosts', content_rowid='id', tokenize='trigram');
INSERT INTO hosts_search(hosts_search) VALUES ('rebuild');
CREATE TRIGGER hosts_search_insert AFTER INSERT ON hosts BEGIN
  INSERT INTO hosts_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER hosts_search_delete AFTER DELETE ON hosts BEGIN
  INSERT INTO hosts_search(hosts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER hosts_search_update AFTER UPDATE OF search_text ON hosts BEGIN
  INSERT INTO hosts_search(hosts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO hosts_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
`,
      postgres: `
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN others THEN
  RAISE NOTICE 'pg_trgm cannot be installed here; host search scans the hosts table instead';
END $$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX hosts_search_trgm ON hosts USING gin (search_text gin_trgm_ops);
  END IF;
END $$;
`,
    },
  },
  {
    id: 17,
    name: 'hosts: filter + hostname order indexes for the console list',
    // The console lists hosts by name, filtered by status, team or platform: with these the page comes
    // straight off an index instead of sorting every host that matches the filter (SQLite's planner
    // otherwise sorts ~30,000 rows for "darwin, by name" at 100,000 hosts).
    sql: `
CREATE INDEX hosts_status_hostname ON hosts(disk_encryption_status, hostname, id);
CREATE INDEX hosts_team_hostname ON hosts(team_id, hostname, id);
CREATE INDEX hosts_platform_hostname ON hosts(platform, hostname, id);
`,
  },
  {
    id: 18,
    name: 'hosts: log-out deferrals reported by the agent; status refreshes queued behind a policy change',
    // logout_deferrals: how often the user postponed the log-out the agent is asking for now (macOS), null
    // when none is asked for; the needs-attention list picks hosts by it. host_status_refresh: a team
    // whose switch or policy changed and whose hosts' stored statuses are still to be re-derived; the
    // agents are answered first (decision 0016), and a server killed in between finishes the job at start.
    // team_key is team_id with 0 for "no team", as in host_status_daily.
    sql: `
ALTER TABLE hosts ADD COLUMN logout_deferrals INTEGER NULL;
CREATE INDEX hosts_logout_deferrals ON hosts(logout_deferrals, id);
CREATE TABLE host_status_refresh (
  team_key INTEGER PRIMARY KEY,
  queued_at TEXT NOT NULL
);
`,
  },
];
