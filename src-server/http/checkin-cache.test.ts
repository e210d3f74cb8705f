import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig, type ServerSettings } from '../domain/config.js';
import { ChangeTrackingStore } from '../storage/change-tracking-store.js';
import { openStore } from '../storage/open.js';
import type { EscrowStore, HostIdentity, HostView } from '../storage/port.js';
import { CheckinCache } from './checkin-cache.js';
import { PreparedConfigs } from './prepared-configs.js';
import { digest } from './secrets.js';

/** The cache over a real SQLite store, wired the way startServer wires it. */
let dir: string;
let store: EscrowStore;
let cache: CheckinCache;
let settings: ServerSettings;
let reads: number;
/** When set, a cache miss waits for it after reading the database (so a write lands inside the read). */
let gate: Promise<void> | null;

const identity = (uuid: string): HostIdentity => ({
  hardware_uuid: uuid,
  hardware_serial: 'C02XYZ',
  hostname: 'laptop-1',
  platform: 'linux',
  os_version: 'Debian 12',
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'escrow-cache-'));
  settings = { escrowCertificatePem: 'CERT-1', orgInfo: { org_name: 'o', contact_url: '' } };
  reads = 0;
  gate = null;
  const configs = new PreparedConfigs();
  let onChange: (c: Parameters<CheckinCache['onChange']>[0]) => void = () => {};
  store = new ChangeTrackingStore(await openStore({ dataDir: dir }), (c) => onChange(c));
  cache = new CheckinCache(
    async (hash) => {
      reads += 1;
      const view = await store.findHostByNodeKeyHash(hash);
      if (gate) await gate;
      return view;
    },
    (view: HostView, s: ServerSettings) => configs.prepare(buildConfig(view, s)),
    () => settings,
  );
  onChange = cache.onChange;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Enrolls as the agent of `uuid` (the same identity key each time, a later proof each time), or as `key`. */
let proofs = 0;
async function enrolled(uuid: string = randomUUID(), key = `key-of-${uuid}`) {
  const nodeKey = randomUUID();
  const signed_at = new Date(Date.UTC(2026, 0, 1) + ++proofs * 1000).toISOString();
  const { hostId } = await store.enrollHost(identity(uuid), digest(nodeKey), { public_key: key, signed_at });
  return { hostId, hash: digest(nodeKey) };
}

const escrowFlag = async (hash: string) =>
  (await cache.lookup(hash))?.prepared.config.notifications.run_disk_encryption_escrow;

describe('CheckinCache', () => {
  it('answers a repeated check-in from memory, and unknown node keys with null', async () => {
    const { hostId, hash } = await enrolled();
    expect((await cache.lookup(hash))?.hostId).toBe(hostId);
    expect((await cache.lookup(hash))?.hostId).toBe(hostId);
    expect(reads).toBe(1);
    expect(await cache.lookup(digest('no such key'))).toBeNull();
  });

  it('forgets the old node key when the host re-enrolls', async () => {
    const uuid = randomUUID();
    const first = await enrolled(uuid);
    expect(await cache.lookup(first.hash)).not.toBeNull();
    const second = await enrolled(uuid);
    expect(second.hostId).toBe(first.hostId);
    expect(await cache.lookup(first.hash)).toBeNull();
    expect((await cache.lookup(second.hash))?.hostId).toBe(first.hostId);
  });

  it('forgets the known host’s node key when an admin merges a pending host into it', async () => {
    const uuid = randomUUID();
    const known = await enrolled(uuid);
    const reinstalled = await enrolled(uuid, 'another-key');
    expect(reinstalled.hostId).not.toBe(known.hostId);
    expect((await cache.lookup(known.hash))?.hostId).toBe(known.hostId);
    expect((await cache.lookup(reinstalled.hash))?.hostId).toBe(reinstalled.hostId);
    await store.mergePendingHost(reinstalled.hostId);
    expect(await cache.lookup(known.hash)).toBeNull();
    expect((await cache.lookup(reinstalled.hash))?.hostId).toBe(known.hostId);
  });

  it('follows the host’s key, its team and its team’s switch', async () => {
    const { hostId, hash } = await enrolled();
    expect(await escrowFlag(hash)).toBe(false);
    await store.setDiskEncryption(null, true);
    expect(await escrowFlag(hash)).toBe(true);
    await store.storeKey(hostId, {
      base64_encrypted: 'AAAA',
      key_slot: 1,
      salt: 's',
      decryptable: true,
      escrow_id: null,
    });
    expect(await escrowFlag(hash)).toBe(false);
    await store.setDecryptable([{ hostId, version: 2, decryptable: false }]);
    expect(await escrowFlag(hash)).toBe(false); // version 2 does not exist: nothing written
    await store.setDecryptable([{ hostId, version: 1, decryptable: false }]);
    expect(await escrowFlag(hash)).toBe(true);
    const team = await store.createTeam('no encryption');
    await store.transferHosts(team.id, [hostId]);
    expect((await cache.lookup(hash))?.prepared.config.disk_encryption.enabled).toBe(false);
    await store.setDiskEncryption(team.id, true, { max_deferrals: 3 });
    expect((await cache.lookup(hash))?.prepared.config.disk_encryption).toEqual({
      enabled: true,
      max_deferrals: 3,
    });
    await store.requestRotation(hostId);
    expect((await cache.lookup(hash))?.prepared.config.notifications.rotate_disk_encryption_key).toBe(true);
  });

  it('does not keep what a read saw when a write ran during that read', async () => {
    const { hostId, hash } = await enrolled();
    let open: () => void = () => {};
    gate = new Promise((r) => {
      open = r;
    });
    const during = cache.lookup(hash);
    await new Promise((r) => setImmediate(r)); // the read is done, its answer not yet returned
    await store.setDiskEncryption(null, true);
    open();
    // That read saw the state before the write; answering it is fine, keeping it is not.
    expect((await during)?.prepared.config.notifications.run_disk_encryption_escrow).toBe(false);
    gate = null;
    const before = reads;
    expect(await escrowFlag(hash)).toBe(true);
    expect(reads).toBe(before + 1);
    expect((await cache.lookup(hash))?.hostId).toBe(hostId);
    expect(reads).toBe(before + 1);
  });

  it('keeps the entry when only last_seen_at changes, and notes the touch', async () => {
    const { hostId, hash } = await enrolled();
    const entry = await cache.lookup(hash);
    if (!entry) throw new Error('enrolled host not found');
    entry.lastSeenMs = 0;
    await store.touchHost(hostId);
    expect((await cache.lookup(hash))?.lastSeenMs).toBeGreaterThan(0);
    expect(reads).toBe(1);
  });

  it('rebuilds entries made with a previous escrow certificate', async () => {
    const { hash } = await enrolled();
    expect((await cache.lookup(hash))?.prepared.config.escrow_certificate).toBe('CERT-1');
    settings = { ...settings, escrowCertificatePem: 'CERT-2' };
    expect((await cache.lookup(hash))?.prepared.config.escrow_certificate).toBe('CERT-2');
  });

  it('holds at most maxEntries hosts, dropping the oldest', async () => {
    const configs = new PreparedConfigs();
    const small = new CheckinCache(
      (h) => store.findHostByNodeKeyHash(h),
      (v, s) => configs.prepare(buildConfig(v, s)),
      () => settings,
      2,
    );
    for (let i = 0; i < 3; i++) await small.lookup((await enrolled()).hash);
    expect(small.size).toBe(2);
  });
});
