import type { Migration } from './index.js';

/**
 * Hardening (issue 18): migration ids 40–49. Same conventions as the others.
 */
export const HARDENING_MIGRATIONS: readonly Migration[] = [
  {
    id: 45,
    name: 'host identity keys; enrollments that claim a known hardware UUID without proof wait for a merge',
    // identity_key: the agent's Ed25519 public key (SPKI DER, base64) from its first enrollment; NULL for
    // hosts enrolled by an agent from before. identity_signed_at: the latest signed_at accepted for it, so a
    // proof cannot be replayed. claims_host_id: set on a pending host, the known host it claims to be; such a
    // host keeps its own row (and hardware_uuid "<uuid>#claim-<hex>", since hardware_uuid is UNIQUE) until an
    // admin merges it (docs/decisions/0018-host-identity-proof.md).
    sql: `
ALTER TABLE hosts ADD COLUMN identity_key TEXT NULL;
ALTER TABLE hosts ADD COLUMN identity_signed_at TEXT NULL;
ALTER TABLE hosts ADD COLUMN claims_host_id INTEGER NULL;
CREATE INDEX hosts_claims ON hosts(claims_host_id);
`,
  },
];
