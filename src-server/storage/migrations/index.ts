import { ADMIN_MIGRATIONS } from './admin.js';
import { HARDENING_MIGRATIONS } from './hardening.js';
import { ID, NL } from './placeholders.js';
import { SCALE_OUT_MIGRATIONS } from './scale-out.js';
import { SSO_MIGRATIONS } from './sso.js';

/**
 * Schema migrations shared by the SQLite and PostgreSQL adapters. One list, applied in order and recorded
 * in `schema_migrations`, so both databases always have the same tables. The SQL sticks to the common
 * subset of both dialects; the differences (how an auto-increment key and a newline character are spelled) are placeholders.
 *
 * Conventions that keep the two adapters identical: booleans are INTEGER 0/1, times are ISO-8601 TEXT
 * (sorts correctly as text), ids are 32-bit INTEGER (node-postgres returns BIGINT as a string).
 * Never edit a shipped migration; add a new one.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
  /** When a dialect needs different SQL (an index only one database has), its own text replaces `sql`. */
  dialects?: Partial<Record<Dialect, string>>;
}

export type Dialect = 'sqlite' | 'postgres';

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE admin_tokens (
  id ${ID},
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE teams (
  id ${ID},
  name TEXT NOT NULL UNIQUE,
  enable_disk_encryption INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE hosts (
  id ${ID},
  hardware_uuid TEXT NOT NULL UNIQUE,
  hardware_serial TEXT NOT NULL,
  hostname TEXT NOT NULL,
  platform TEXT NOT NULL,
  os_version TEXT NOT NULL,
  team_id INTEGER NULL REFERENCES teams(id),
  node_key_hash TEXT NOT NULL UNIQUE,
  enrolled_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  reported_status TEXT NULL,
  rotate_requested INTEGER NOT NULL DEFAULT 0,
  removing_enforcement INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX hosts_team ON hosts(team_id);
CREATE TABLE host_disk_encryption_keys (
  host_id INTEGER PRIMARY KEY REFERENCES hosts(id),
  base64_encrypted TEXT NULL,
  key_slot INTEGER NULL,
  salt TEXT NULL,
  client_error TEXT NOT NULL DEFAULT '',
  decryptable INTEGER NULL,
  version INTEGER NOT NULL,
  escrow_id TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX keys_unchecked ON host_disk_encryption_keys(decryptable, host_id);
CREATE TABLE host_disk_encryption_keys_archive (
  id ${ID},
  host_id INTEGER NOT NULL,
  hardware_serial TEXT NOT NULL,
  base64_encrypted TEXT NOT NULL,
  key_slot INTEGER NULL,
  salt TEXT NULL,
  decryptable INTEGER NULL,
  escrow_id TEXT NULL,
  reason TEXT NOT NULL,
  key_created_at TEXT NOT NULL,
  archived_at TEXT NOT NULL
);
CREATE INDEX archive_host ON host_disk_encryption_keys_archive(host_id);
CREATE TABLE activities (
  id ${ID},
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  details TEXT NOT NULL
);
`,
  },
  {
    id: 2,
    name: 'team encryption policy: logout deadline and deferrals',
    sql: `
ALTER TABLE teams ADD COLUMN logout_deadline TEXT NULL;
ALTER TABLE teams ADD COLUMN max_deferrals INTEGER NULL;
`,
  },
  ...ADMIN_MIGRATIONS,
  ...HARDENING_MIGRATIONS,
  ...SSO_MIGRATIONS,
  ...SCALE_OUT_MIGRATIONS,
];

/** The migration's SQL in one dialect. */
export function migrationSql(m: Migration, dialect: Dialect): string {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'SERIAL PRIMARY KEY';
  const sql = m.dialects?.[dialect] ?? m.sql;
  return sql.replaceAll(ID, id).replaceAll(NL, dialect === 'sqlite' ? 'char(10)' : 'chr(10)');
}
