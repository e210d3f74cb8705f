import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { openStore } from './open.js';
import type { EscrowStore, HostIdentity, NewKey } from './port.js';
import type { HostClaim } from './records.js';

/** The same suite against both adapters: the port promises the same behaviour on either database. */
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const adapters = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'escrow-store-'));
      const store = await openStore({ dataDir: dir });
      return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => ({
      store: await openStore({ dataDir: '/nonexistent', databaseUrl: await postgres.newDatabase() }),
      cleanup: () => {},
    }),
  },
];

const identity = (over: Partial<HostIdentity> = {}): HostIdentity => ({
  hardware_uuid: randomUUID(),
  hardware_serial: 'C02XYZ',
  hostname: 'laptop-1',
  platform: 'linux',
  os_version: 'Debian 12',
  ...over,
});

/** A claim the route has verified: key `k`, signed at second `t`. */
const claim = (k: string, t: number): HostClaim => ({
  public_key: k,
  signed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, t)).toISOString(),
});

const key = (n: number, over: Partial<NewKey> = {}): NewKey => ({
  base64_encrypted: Buffer.from(`envelope-${n}`).toString('base64'),
  key_slot: n,
  salt: `salt-${n}`,
  decryptable: true,
  escrow_id: null,
  ...over,
});

describe.each(adapters)('storage port on $name', (adapter) => {
  let store: EscrowStore;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ store, cleanup } = await adapter.open());
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('applies migrations once (a second migrate is a no-op)', async () => {
    await store.migrate();
    expect(await store.listTeams()).toEqual([]);
  });

  it('never overwrites a setting', async () => {
    expect(await store.insertSetting('enroll_secret_sha256', 'a')).toBe(true);
    expect(await store.insertSetting('enroll_secret_sha256', 'b')).toBe(false);
    expect(await store.getSetting('enroll_secret_sha256')).toBe('a');
    expect(await store.getSetting('missing')).toBeNull();
  });

  it('finds admin tokens by digest with their role', async () => {
    await store.addAdminToken('d1', { role: 'observer', name: 'viewer' });
    expect(await store.findAdminToken('d1')).toMatchObject({ role: 'observer', name: 'viewer' });
    expect(await store.findAdminToken('d2')).toBeNull();
  });

  it('enrolls, finds by node key, and a proven re-enroll archives the key with the old serial and rotates the node key', async () => {
    const id = identity();
    const { hostId, reenrolled } = await store.enrollHost(id, 'nk1', claim('K1', 1));
    expect(reenrolled).toBe(false);
    expect((await store.findHostByNodeKeyHash('nk1'))?.host.hardware_uuid).toBe(id.hardware_uuid);
    await store.storeKey(hostId, key(1));

    const again = await store.enrollHost({ ...id, hardware_serial: 'NEWSERIAL' }, 'nk2', claim('K1', 2));
    expect(again).toEqual({ hostId, reenrolled: true, claimsHostId: null });
    expect(await store.findHostByNodeKeyHash('nk1')).toBeNull();
    const view = await store.findHostByNodeKeyHash('nk2');
    expect(view?.key).toBeNull();
    expect(view?.host.hardware_serial).toBe('NEWSERIAL');
    const archived = await store.listArchivedKeys(hostId);
    expect(archived).toHaveLength(1);
    expect(archived[0]).toMatchObject({ reason: 're_enrolled', hardware_serial: 'C02XYZ', key_slot: 1 });
  });

  it('a re-enroll without the identity key, with another key or with a replayed proof becomes a pending host and leaves the known one alone', async () => {
    const id = identity();
    const { hostId } = await store.enrollHost(id, 'nk1', claim('K1', 5));
    await store.storeKey(hostId, key(1));
    const attempts = [
      await store.enrollHost(id, 'nk-none', null),
      await store.enrollHost(id, 'nk-other', claim('K2', 6)),
      await store.enrollHost(id, 'nk-replay', claim('K1', 5)), // not later than the last accepted proof
    ];
    for (const a of attempts) {
      expect(a).toMatchObject({ reenrolled: false, claimsHostId: hostId });
      expect(a.hostId).not.toBe(hostId);
    }
    const known = await store.findHostByNodeKeyHash('nk1');
    expect(known?.host.id).toBe(hostId);
    expect(known?.key?.base64_encrypted).toBe(key(1).base64_encrypted);
    expect(await store.listArchivedKeys(hostId)).toEqual([]);
    const pending = await store.getHostView(attempts[0]?.hostId ?? 0);
    expect(pending?.host.hardware_uuid).toMatch(new RegExp(`^${id.hardware_uuid}#claim-[0-9a-f]{8}$`));
    expect((await store.listPendingHosts()).map((p) => p.claims_host_id)).toEqual([hostId, hostId, hostId]);
    // The same stranger enrolling again (its own key, a later proof) re-enrolls its own pending host.
    expect(await store.enrollHost(id, 'nk-other-2', claim('K2', 7))).toEqual({
      hostId: attempts[1]?.hostId,
      reenrolled: true,
      claimsHostId: hostId,
    });
  });

  it("an admin merge gives the known host the pending one's node key, identity key and key, and archives its own", async () => {
    const id = identity();
    const { hostId } = await store.enrollHost(id, 'nk-old', claim('K1', 1));
    await store.storeKey(hostId, key(1));
    const reinstalled = await store.enrollHost({ ...id, hostname: 'laptop-1-new' }, 'nk-new', claim('K9', 2));
    await store.storeKey(reinstalled.hostId, key(2));
    expect(await store.mergePendingHost(hostId)).toBeNull(); // not a pending host
    expect(await store.mergePendingHost(reinstalled.hostId)).toEqual({
      hostId,
      hardwareUuid: id.hardware_uuid,
    });
    expect(await store.getHostView(reinstalled.hostId)).toBeNull();
    expect(await store.findHostByNodeKeyHash('nk-old')).toBeNull();
    const merged = await store.findHostByNodeKeyHash('nk-new');
    expect(merged?.host).toMatchObject({
      id: hostId,
      hardware_uuid: id.hardware_uuid,
      hostname: 'laptop-1-new',
    });
    expect(merged?.key?.key_slot).toBe(2);
    expect((await store.listArchivedKeys(hostId)).map((a) => [a.key_slot, a.reason])).toEqual([
      [1, 'merged'],
    ]);
    expect(await store.listPendingHosts()).toEqual([]);
    // From now on the merged host is proven by the reinstalled computer's key, and only by it.
    expect(await store.enrollHost(id, 'nk-3', claim('K9', 3))).toMatchObject({ hostId, reenrolled: true });
    expect(await store.enrollHost(id, 'nk-4', claim('K1', 4))).toMatchObject({ claimsHostId: hostId });
  });

  it('archives the previous key on every change and bumps the version', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    expect(await store.storeKey(hostId, key(1))).toBe('stored');
    const v1 = (await store.getHostView(hostId))?.key?.version;
    expect(await store.storeKey(hostId, key(2))).toBe('stored');
    const view = await store.getHostView(hostId);
    expect(view?.key?.key_slot).toBe(2);
    expect(view?.key?.version).toBe((v1 ?? 0) + 1);
    const archived = await store.listArchivedKeys(hostId);
    expect(archived.map((a) => [a.key_slot, a.reason])).toEqual([[1, 'replaced']]);
  });

  it('stores a retried escrow_id once (one key, one archive entry)', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.storeKey(hostId, key(1));
    const id = randomUUID();
    expect(await store.storeKey(hostId, key(2, { escrow_id: id }))).toBe('stored');
    expect(await store.storeKey(hostId, key(2, { escrow_id: id }))).toBe('duplicate');
    expect(await store.listArchivedKeys(hostId)).toHaveLength(1);
  });

  it('an error-only report keeps the good key', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.storeKey(hostId, key(1));
    await store.recordClientError(hostId, 'cryptsetup failed');
    const view = await store.getHostView(hostId);
    expect(view?.key).toMatchObject({
      base64_encrypted: key(1).base64_encrypted,
      client_error: 'cryptsetup failed',
    });
    await store.storeKey(hostId, key(2));
    expect((await store.getHostView(hostId))?.key?.client_error).toBe('');
  });

  it('records an error for a host without a key as a key row with no envelope', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.recordClientError(hostId, 'no LUKS device');
    expect((await store.getHostView(hostId))?.key).toMatchObject({
      base64_encrypted: null,
      client_error: 'no LUKS device',
    });
    expect(await store.listUncheckedKeys(10)).toEqual([]);
  });

  it('sets decryptable only when the version still matches (compare-and-set)', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.storeKey(hostId, key(1, { decryptable: null }));
    const [unchecked] = await store.listUncheckedKeys(10);
    expect(unchecked).toMatchObject({ host_id: hostId, platform: 'linux' });
    await store.storeKey(hostId, key(2, { decryptable: null }));
    expect(
      await store.setDecryptable([{ hostId, version: unchecked?.version ?? -1, decryptable: false }]),
    ).toEqual([false]);
    const current = (await store.getHostView(hostId))?.key;
    expect(current?.decryptable).toBeNull();
    expect(
      await store.setDecryptable([{ hostId, version: current?.version ?? -1, decryptable: true }]),
    ).toEqual([true]);
    expect((await store.getHostView(hostId))?.key?.decryptable).toBe(true);
  });

  it('writes a batch of answers in one call, each compare-and-set on its own key', async () => {
    const a = (await store.enrollHost(identity({ hardware_uuid: 'batch-a' }), 'nk-a')).hostId;
    const b = (await store.enrollHost(identity({ hardware_uuid: 'batch-b' }), 'nk-b')).hostId;
    await store.storeKey(a, key(1, { decryptable: null }));
    await store.storeKey(b, key(1, { decryptable: null }));
    const checked = await store.listUncheckedKeys(10);
    await store.storeKey(a, key(2, { decryptable: null })); // a's key replaced while the job decrypted it
    const answers = checked.map((k) => ({ hostId: k.host_id, version: k.version, decryptable: true }));
    expect(await store.setDecryptable(answers)).toEqual(checked.map((k) => k.host_id === b));
    expect((await store.getHostView(a))?.key?.decryptable).toBeNull();
    expect((await store.getHostView(b))?.key?.decryptable).toBe(true);
  });

  it('turning encryption off archives the keys of the team and marks removing_enforcement', async () => {
    const team = await store.createTeam('Engineering');
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.transferHosts(team.id, [hostId]);
    await store.setDiskEncryption(team.id, true);
    await store.storeKey(hostId, key(1));
    expect((await store.getHostView(hostId))?.encryption_enabled).toBe(true);
    expect(await store.setDiskEncryption(team.id, false)).toEqual([hostId]);
    const view = await store.getHostView(hostId);
    expect(view).toMatchObject({ key: null, encryption_enabled: false });
    expect(view?.host.removing_enforcement).toBe(true);
    expect((await store.listArchivedKeys(hostId))[0]?.reason).toBe('encryption_disabled');
  });

  it('keeps a policy per team and for "no team"; undefined keeps a field, null clears it', async () => {
    const team = await store.createTeam('Sales');
    const { hostId } = await store.enrollHost(identity(), 'nk');
    const other = await store.enrollHost(identity(), 'nk2');
    await store.transferHosts(team.id, [hostId]);
    await store.setDiskEncryption(team.id, true, {
      logout_deadline: '2026-12-01T00:00:00.000Z',
      max_deferrals: 3,
    });
    expect((await store.getHostView(hostId))?.policy).toMatchObject({
      logout_deadline: '2026-12-01T00:00:00.000Z',
      max_deferrals: 3,
    });
    await store.setDiskEncryption(team.id, true, { max_deferrals: null });
    expect((await store.getTeam(team.id))?.logout_deadline).toBe('2026-12-01T00:00:00.000Z');
    expect((await store.getTeam(team.id))?.max_deferrals).toBeNull();

    expect((await store.getHostView(other.hostId))?.policy).toMatchObject({
      logout_deadline: null,
      max_deferrals: null,
    });
    await store.setDiskEncryption(null, true, { max_deferrals: 5 });
    await store.setDiskEncryption(null, true, {});
    expect((await store.getHostView(other.hostId))?.policy).toMatchObject({
      logout_deadline: null,
      max_deferrals: 5,
    });
    const views = await store.listHostViews({});
    expect(views.map((v) => v.policy.max_deferrals)).toEqual([null, 5]);
  });

  it('"no team" has its own encryption switch', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    expect((await store.getHostView(hostId))?.encryption_enabled).toBe(false);
    await store.setDiskEncryption(null, true);
    expect((await store.getHostView(hostId))?.encryption_enabled).toBe(true);
  });

  it('moving a host to a team without encryption archives its key; to one with encryption keeps it', async () => {
    const on = await store.createTeam('On');
    const off = await store.createTeam('Off');
    await store.setDiskEncryption(on.id, true);
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await store.transferHosts(on.id, [hostId]);
    await store.storeKey(hostId, key(1));
    const other = await store.createTeam('Also on');
    await store.setDiskEncryption(other.id, true);
    expect(await store.transferHosts(other.id, [hostId, 999_999])).toEqual([hostId]);
    expect((await store.getHostView(hostId))?.key?.key_slot).toBe(1);
    await store.transferHosts(off.id, [hostId]);
    expect((await store.getHostView(hostId))?.key).toBeNull();
    expect((await store.listArchivedKeys(hostId))[0]?.reason).toBe('team_changed');
    expect((await store.listHostViews({ teamId: off.id })).map((v) => v.host.id)).toEqual([hostId]);
    expect(await store.listHostViews({ teamId: null })).toEqual([]);
  });

  it('keeps activities newest first with their details', async () => {
    await store.addActivity({
      actor: 'alice',
      actor_kind: 'user',
      type: 'created_team',
      details: { team_id: 1 },
    });
    await store.addActivity({
      actor: 'alice',
      actor_kind: 'user',
      type: 'read_host_disk_encryption_key',
      details: { host_id: 7, host_display_name: 'x' },
    });
    const list = await store.listActivities({ limit: 10 });
    expect(list.map((a) => a.type)).toEqual(['read_host_disk_encryption_key', 'created_team']);
    expect(list[0]?.details).toEqual({ host_id: 7, host_display_name: 'x' });
    expect(await store.listActivities({ limit: 10, afterId: list[0]?.id ?? 0 })).toEqual([]);
  });

  it('rolls a failed transaction back completely', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await expect(store.transferHosts(123_456, [hostId])).rejects.toThrow(/team not found/);
    expect((await store.getHostView(hostId))?.host.team_id).toBeNull();
  });

  it('serializes concurrent key changes without losing an archive entry', async () => {
    const { hostId } = await store.enrollHost(identity(), 'nk');
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.storeKey(hostId, key(i))));
    expect(await store.listArchivedKeys(hostId)).toHaveLength(9);
    expect((await store.getHostView(hostId))?.key?.version).toBe(10);
  });
});
