import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { storeAdapters } from '../test-support/store-adapters.js';
import { ChangeTrackingStore, type HostChange } from './change-tracking-store.js';
import type { EscrowStore } from './port.js';

/** Single sign-on, links and self-service storage, the same suite on SQLite and PostgreSQL. */
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const T0 = '2026-01-01T10:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const identity = (i: number) => ({
  hardware_uuid: `uuid-${i}`,
  hardware_serial: `SER${i}`,
  hostname: `laptop-${i}`,
  platform: 'linux' as const,
  os_version: 'Debian 12',
});
const signIn = (over: Partial<{ subject: string; email: string; name: string; groups: string[] }> = {}) => ({
  issuer: 'https://idp.example',
  subject: 'sub-carol',
  email: 'carol@example.com',
  name: 'Carol',
  groups: ['staff'],
  at: T0,
  ...over,
});

describe.each(storeAdapters(() => postgres))('single sign-on storage on $name', (adapter) => {
  let store: EscrowStore;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ store, cleanup } = await adapter.open());
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('people: found by subject, else by email (binding a person an admin named), never taking another’s email', async () => {
    const named = await store.sso.personByEmail('carol@example.com', T0);
    expect(named.subject).toBeNull();
    const carol = await store.sso.personSignedIn(signIn());
    expect(carol).toMatchObject({ id: named.id, subject: 'sub-carol', name: 'Carol', groups: ['staff'] });
    // A new email from the provider follows the subject, and the hosts linked to the person follow it.
    const { hostId } = await store.enrollHost(identity(1), 'nk1');
    await store.sso.linkHosts([{ hostId, personId: named.id }], 'admin', T0);
    const renamed = await store.sso.personSignedIn(signIn({ email: 'carol.c@example.com', name: 'Carol C' }));
    expect(renamed?.id).toBe(named.id);
    expect((await store.getHostView(hostId))?.host.linked_user).toMatchObject({
      email: 'carol.c@example.com',
      name: 'Carol C',
      linked_via: 'admin',
    });
    await store.sso.personSignedIn(signIn({ subject: 'sub-dave', email: 'dave@example.com' }));
    expect(
      await store.sso.personSignedIn(signIn({ subject: 'sub-dave', email: 'carol.c@example.com' })),
    ).toBeNull();
    expect(
      await store.sso.personSignedIn(signIn({ subject: 'sub-mallory', email: 'carol.c@example.com' })),
    ).toBeNull();
  });

  it('sign-in transactions work once and expire', async () => {
    const login = {
      id_hash: 'h1',
      state: 's',
      nonce: 'n',
      code_verifier: 'v',
      purpose: 'portal' as const,
      return_to: '/my-device/',
      max_age: 0,
      created_at: T0,
      expires_at: later(600_000),
    };
    await store.sso.createLogin(login);
    expect(await store.sso.takeLogin('h1', later(1000))).toMatchObject({ state: 's', max_age: 0 });
    expect(await store.sso.takeLogin('h1', later(1000))).toBeNull();
    await store.sso.createLogin({ ...login, id_hash: 'h2' });
    expect(await store.sso.takeLogin('h2', later(600_000))).toBeNull();
  });

  it('link codes: one live code per host, single use, expiry, and no taking a host linked to someone else', async () => {
    const { hostId } = await store.enrollHost(identity(2), 'nk2');
    const carol = await store.sso.personByEmail('carol@example.com', T0);
    const dave = await store.sso.personByEmail('dave@example.com', T0);
    await store.sso.createLinkCode(hostId, 'c1', T0, later(600_000));
    await store.sso.createLinkCode(hostId, 'c2', T0, later(600_000));
    expect(await store.sso.findLinkCode('c1')).toBeNull();
    expect(await store.sso.redeemLinkCode('c2', carol.id, later(600_000))).toBeNull();
    await store.sso.createLinkCode(hostId, 'c3', T0, later(600_000));
    expect(await store.sso.redeemLinkCode('c3', carol.id, later(1000))).toBe(hostId);
    expect(await store.sso.redeemLinkCode('c3', carol.id, later(2000))).toBeNull();
    expect((await store.sso.hostsOfPerson(carol.id)).map((v) => v.host.id)).toEqual([hostId]);
    await store.sso.createLinkCode(hostId, 'c4', later(3000), later(600_000));
    expect(await store.sso.redeemLinkCode('c4', dave.id, later(4000))).toBeNull();
    // The refused use was rolled back: the code is still unused (and still cannot take the host).
    expect((await store.sso.findLinkCode('c4'))?.used_at).toBeNull();
    expect((await store.getHostView(hostId))?.host.linked_user?.person_id).toBe(carol.id);
    expect(await store.sso.linkHosts([{ hostId, personId: null }], 'admin', T0)).toEqual([hostId]);
    expect(await store.sso.linkHosts([{ hostId, personId: null }], 'admin', T0)).toEqual([]);
  });

  it('the used-key mark sets rotate_requested and reports the host to the change feed', async () => {
    const changes: HostChange[] = [];
    const tracked = new ChangeTrackingStore(store, (c) => changes.push(c));
    const { hostId } = await tracked.enrollHost(identity(3), 'nk3');
    changes.length = 0;
    await tracked.sso.markRecoveryKeyUsed(hostId, 'owner');
    expect(changes).toEqual([
      { kind: 'hosts', hostIds: [hostId] },
      { kind: 'hosts', hostIds: [hostId] },
    ]);
    const view = await store.getHostView(hostId);
    expect(view?.host.rotate_requested).toBe(true);
    expect(view?.host.recovery_key_used).toMatchObject({ shown_to: 'owner' });
  });

  it('self-service policy per team with defaults; reveals counted per person over a window; break-glass codes once', async () => {
    const team = await store.createTeam('Berlin', true);
    expect(await store.sso.selfServicePolicy(team.id)).toEqual({ enabled: true, reveals_per_day: 3 });
    await store.sso.setSelfServicePolicy(team.id, { enabled: false, reveals_per_day: 1 }, T0);
    await store.sso.setSelfServicePolicy(null, { enabled: true, reveals_per_day: 5 }, T0);
    expect(await store.sso.selfServicePolicy(team.id)).toEqual({ enabled: false, reveals_per_day: 1 });
    expect([...(await store.sso.selfServicePolicies())].sort()).toEqual([
      [null, { enabled: true, reveals_per_day: 5 }],
      [team.id, { enabled: false, reveals_per_day: 1 }],
    ]);
    const p = await store.sso.personByEmail('p@example.com', T0);
    await store.sso.addSelfServiceReveal(p.id, 1, 'forgot', T0);
    await store.sso.addSelfServiceReveal(p.id, 1, 'forgot', later(3600_000));
    expect(await store.sso.countSelfServiceReveals(p.id, later(-1))).toBe(2);
    expect(await store.sso.countSelfServiceReveals(p.id, later(1))).toBe(1);

    const user = await store.createUser({
      email: 'root@example.com',
      name: '',
      role: 'admin',
      teams: null,
      password_hash: 'x',
    });
    await store.sso.createBreakGlassCode(user?.id ?? 0, 'bg', T0, later(600_000));
    expect(await store.sso.redeemBreakGlassCode('bg', later(700_000))).toBeNull();
    await store.sso.createBreakGlassCode(user?.id ?? 0, 'bg2', T0, later(600_000));
    expect(await store.sso.redeemBreakGlassCode('bg2', later(1000))).toBe(user?.id);
    expect(await store.sso.redeemBreakGlassCode('bg2', later(2000))).toBeNull();
    // Deleting a user with people and codes pointing at it works on both databases.
    await store.sso.setPersonUser(p.id, user?.id ?? 0, false);
    expect(await store.deleteUser(user?.id ?? 0)).toBe(true);
    expect((await store.sso.getPerson(p.id))?.user_id).toBeNull();
  });
});
