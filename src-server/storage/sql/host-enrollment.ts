import { randomBytes } from 'node:crypto';
import type { EnrollOutcome, HostClaim, HostIdentity, PendingHost } from '../records.js';
import type { SqlExecutor } from '../sql-driver.js';
import { refreshStatuses } from './host-views.js';
import type { ForUpdate } from './keys.js';
import * as keys from './keys.js';
import { now, searchText } from './rows.js';

/**
 * Enrollment and the identity proof (issue 18, finding 2; docs/decisions/0018-host-identity-proof.md).
 *
 * A hardware UUID is what the agent says it is: anyone holding the enroll secret can send any. So an
 * enrollment takes over the known host with that UUID only when it proves it holds the identity key that
 * host enrolled with (the route has checked the signature; `claim` is null when there was none). Otherwise it
 * becomes a pending host of its own, which never touches the known host's key, node key or record until an
 * admin merges the two (mergePendingHost).
 */

interface KnownHost {
  id: number;
  logged_in_user: string | null;
  identity_key: string | null;
  identity_signed_at: string | null;
}

const KNOWN = 'SELECT id, logged_in_user, identity_key, identity_signed_at FROM hosts';

/** The claim proves this host's identity: same key, and signed later than any proof accepted before. */
function proves(claim: HostClaim, host: KnownHost): boolean {
  return (
    host.identity_key !== null &&
    claim.public_key === host.identity_key &&
    (host.identity_signed_at === null || Date.parse(claim.signed_at) > Date.parse(host.identity_signed_at))
  );
}

export async function enrollHost(
  tx: SqlExecutor,
  forUpdate: ForUpdate,
  identity: HostIdentity,
  nodeKeyHash: string,
  claim: HostClaim | null,
): Promise<EnrollOutcome> {
  const known = await tx.get<KnownHost>(`${KNOWN} WHERE hardware_uuid = ?${forUpdate}`, [
    identity.hardware_uuid,
  ]);
  if (!known) {
    const hostId = await insertHost(tx, identity, identity.hardware_uuid, nodeKeyHash, claim, null);
    return { hostId, reenrolled: false, claimsHostId: null };
  }
  if (claim && proves(claim, known)) {
    await reenroll(tx, forUpdate, known, identity, identity.hardware_uuid, nodeKeyHash, claim);
    return { hostId: known.id, reenrolled: true, claimsHostId: null };
  }
  // Not proven: the same agent's own pending host (its key, a later proof) is re-enrolled; anything else
  // is a new pending host.
  if (claim) {
    const own = await tx.get<KnownHost & { hardware_uuid: string }>(
      `${KNOWN.replace('SELECT id,', 'SELECT id, hardware_uuid,')} WHERE claims_host_id = ? AND identity_key = ?${forUpdate}`,
      [known.id, claim.public_key],
    );
    if (own && proves(claim, own)) {
      await reenroll(tx, forUpdate, own, identity, own.hardware_uuid, nodeKeyHash, claim);
      return { hostId: own.id, reenrolled: true, claimsHostId: known.id };
    }
  }
  const pendingUuid = `${identity.hardware_uuid}#claim-${randomBytes(4).toString('hex')}`;
  const hostId = await insertHost(tx, identity, pendingUuid, nodeKeyHash, claim, known.id);
  return { hostId, reenrolled: false, claimsHostId: known.id };
}

async function insertHost(
  tx: SqlExecutor,
  identity: HostIdentity,
  hardwareUuid: string,
  nodeKeyHash: string,
  claim: HostClaim | null,
  claimsHostId: number | null,
): Promise<number> {
  const t = now();
  const row = await tx.get<{ id: number }>(
    `INSERT INTO hosts (hardware_uuid, hardware_serial, hostname, platform, os_version, node_key_hash,
       enrolled_at, last_seen_at, search_text, identity_key, identity_signed_at, claims_host_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      hardwareUuid,
      identity.hardware_serial,
      identity.hostname,
      identity.platform,
      identity.os_version,
      nodeKeyHash,
      t,
      t,
      searchText({ ...identity, hardware_uuid: hardwareUuid }),
      claim?.public_key ?? null,
      claim?.signed_at ?? null,
      claimsHostId,
    ],
  );
  if (!row) throw new Error('insert returned no id');
  await refreshStatuses(tx, [row.id]);
  return row.id;
}

/** A proven re-enrollment: the current key is archived and the host starts escrow again with a new node key. */
async function reenroll(
  tx: SqlExecutor,
  forUpdate: ForUpdate,
  host: KnownHost,
  identity: HostIdentity,
  hardwareUuid: string,
  nodeKeyHash: string,
  claim: HostClaim,
): Promise<void> {
  await keys.archiveAndDeleteKey(tx, forUpdate, host.id, 're_enrolled');
  const t = now();
  await tx.run(
    `UPDATE hosts SET hardware_serial = ?, hostname = ?, platform = ?, os_version = ?, node_key_hash = ?,
       enrolled_at = ?, last_seen_at = ?, reported_status = NULL, rotate_requested = 0, search_text = ?,
       identity_signed_at = ?
     WHERE id = ?`,
    [
      identity.hardware_serial,
      identity.hostname,
      identity.platform,
      identity.os_version,
      nodeKeyHash,
      t,
      t,
      searchText({ ...identity, hardware_uuid: hardwareUuid, logged_in_user: host.logged_in_user }),
      claim.signed_at,
      host.id,
    ],
  );
  await refreshStatuses(tx, [host.id]);
}

export function listPendingHosts(tx: SqlExecutor): Promise<PendingHost[]> {
  return tx.all<PendingHost>(
    `SELECT p.id, p.claims_host_id, p.hostname, p.hardware_serial, p.enrolled_at, k.hostname AS claims_hostname
     FROM hosts p JOIN hosts k ON k.id = p.claims_host_id ORDER BY p.id`,
  );
}

/**
 * An admin's decision that a pending host is the computer it claims to be (a reinstall, a re-imaged
 * laptop): the known host takes the pending host's node key, identity key and current key (its own key is
 * archived as 'merged'), keeps its id, team, history and links; the pending host's history moves over and
 * its row goes. Returns the known host's id, or null when `pendingId` is not a pending host.
 */
export async function mergePendingHost(
  tx: SqlExecutor,
  forUpdate: ForUpdate,
  pendingId: number,
): Promise<{ hostId: number; hardwareUuid: string } | null> {
  const p = await tx.get<{
    claims_host_id: number;
    hardware_uuid: string;
    hardware_serial: string;
    hostname: string;
    platform: string;
    os_version: string;
    node_key_hash: string;
    identity_key: string | null;
    identity_signed_at: string | null;
    enrolled_at: string;
    last_seen_at: string;
    reported_status: string | null;
  }>(
    `SELECT claims_host_id, hardware_uuid, hardware_serial, hostname, platform, os_version, node_key_hash,
       identity_key, identity_signed_at, enrolled_at, last_seen_at, reported_status
     FROM hosts WHERE id = ? AND claims_host_id IS NOT NULL${forUpdate}`,
    [pendingId],
  );
  if (!p) return null;
  const target = await tx.get<{ id: number; hardware_uuid: string; logged_in_user: string | null }>(
    `SELECT id, hardware_uuid, logged_in_user FROM hosts WHERE id = ?${forUpdate}`,
    [p.claims_host_id],
  );
  if (!target) return null;
  await keys.archiveAndDeleteKey(tx, forUpdate, target.id, 'merged');
  await tx.run('UPDATE host_disk_encryption_keys SET host_id = ? WHERE host_id = ?', [target.id, pendingId]);
  for (const table of ['host_disk_encryption_keys_archive', 'activities', 'self_service_reveals']) {
    await tx.run(`UPDATE ${table} SET host_id = ? WHERE host_id = ?`, [target.id, pendingId]);
  }
  await tx.run('DELETE FROM link_codes WHERE host_id = ?', [pendingId]);
  // Other pending claims on this host stay pending (claims_host_id still points at it).
  await tx.run('DELETE FROM hosts WHERE id = ?', [pendingId]);
  await tx.run(
    `UPDATE hosts SET hardware_serial = ?, hostname = ?, platform = ?, os_version = ?, node_key_hash = ?,
       identity_key = ?, identity_signed_at = ?, enrolled_at = ?, last_seen_at = ?, reported_status = ?,
       rotate_requested = 0, search_text = ?
     WHERE id = ?`,
    [
      p.hardware_serial,
      p.hostname,
      p.platform,
      p.os_version,
      p.node_key_hash,
      p.identity_key,
      p.identity_signed_at,
      p.enrolled_at,
      p.last_seen_at,
      p.reported_status,
      searchText({ ...p, hardware_uuid: target.hardware_uuid, logged_in_user: target.logged_in_user }),
      target.id,
    ],
  );
  await refreshStatuses(tx, [target.id]);
  return { hostId: target.id, hardwareUuid: target.hardware_uuid };
}
