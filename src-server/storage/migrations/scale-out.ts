import type { Migration } from './index.js';

/** Migrations of several servers sharing one database (ids 30–39). */
export const SCALE_OUT_MIGRATIONS: readonly Migration[] = [
  {
    id: 30,
    name: 'cluster change sequence',
    // One row: the number of the last change a server announced to the others (src-server/cluster/).
    // Bumped in the same transaction as the announcement, so its order is the order replicas hear them in.
    sql: `
CREATE TABLE cluster_changes (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL
);
INSERT INTO cluster_changes (id, seq) VALUES (1, 0);
`,
  },
];
