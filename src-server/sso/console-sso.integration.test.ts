import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, call, json } from '../test-support/admin.js';
import { type SsoRig, startSsoRig } from '../test-support/sso.js';

/**
 * Console sign-in through a real OpenID provider (oidc-provider in process): just-in-time accounts whose
 * role and teams follow the groups claim, access removed with the group, and the ID token checks that
 * openid-client makes (audience, expiry, nonce), plus our own: a callback works once.
 */
let rig: SsoRig;
let berlin: number;

beforeAll(async () => {
  rig = await startSsoRig();
  berlin = (await rig.t.server.store.createTeam('Berlin', true)).id;
});
afterAll(async () => {
  await rig?.close();
});

const session = (cookie: string) => ({ session: { cookie, csrf: '' } });

describe('console single sign-on', () => {
  it('makes an admin just in time from the groups claim, with PKCE, state and nonce on the way', async () => {
    const b = rig.browser();
    const end = await b.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'alice');
    expect(end.url).toBe(`${rig.t.url}/admin/`);
    const authorize = new URL(b.visited.find((u) => u.startsWith(`${rig.idp.issuer}/auth`)) ?? '');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${rig.t.url}/sso/callback`);
    const cookie = `escrow_session=${b.cookie(rig.t.url, 'escrow_session')}`;
    const me = await json<{ user: { email: string; name: string }; role: string; teams: null }>(
      call(rig.t, 'GET', '/me', session(cookie)),
    );
    expect(me).toMatchObject({
      role: 'admin',
      teams: null,
      user: { email: 'alice@example.com', name: 'Alice Admin' },
    });
    const acts = await json<{
      activities: { type: string; actor: string; details: Record<string, unknown> }[];
    }>(call(rig.t, 'GET', '/activities', { token: rig.t.init.admin_token }));
    expect(acts.activities.some((a) => a.type === 'created_user' && a.actor === 'single sign-on')).toBe(true);
    expect(acts.activities.some((a) => a.type === 'signed_in' && a.details.method === 'sso')).toBe(true);
  });

  it('maps a group with a team to a role limited to that team', async () => {
    const b = rig.browser();
    await b.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'bob');
    const me = await json<{ role: string; teams: number[] }>(
      call(rig.t, 'GET', '/me', session(`escrow_session=${b.cookie(rig.t.url, 'escrow_session')}`)),
    );
    expect(me).toMatchObject({ role: 'helpdesk', teams: [berlin] });
  });

  it('without a mapped group: no console, and an earlier session of that person ends at this sign-in', async () => {
    rig.idp.accounts.set('erin', { email: 'erin@example.com', name: 'Erin', groups: ['servicedesk'] });
    const first = rig.browser();
    await first.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'erin');
    const earlier = session(`escrow_session=${first.cookie(rig.t.url, 'escrow_session')}`);
    expect((await call(rig.t, 'GET', '/me', earlier)).status).toBe(200);

    rig.idp.accounts.set('erin', { email: 'erin@example.com', name: 'Erin', groups: ['staff'] });
    const again = rig.browser();
    const denied = await again.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'erin');
    expect(denied.res.status).toBe(403);
    expect(denied.text).toContain('not in a group that may use the admin console');
    expect(again.cookie(rig.t.url, 'escrow_session')).toBeUndefined();
    const gone = await call(rig.t, 'GET', '/me', earlier);
    expect(gone.status).toBe(401);
    expect(((await gone.json()) as { code: string }).code).toBe('session_revoked');
    const users = await json<{ users: { email: string; disabled: boolean }[] }>(
      call(rig.t, 'GET', '/users', { token: rig.t.init.admin_token }),
    );
    expect(users.users.find((u) => u.email === 'erin@example.com')?.disabled).toBe(true);

    // Back in the group: single sign-on disabled the account, so single sign-on may enable it again.
    rig.idp.accounts.set('erin', { email: 'erin@example.com', name: 'Erin', groups: ['servicedesk'] });
    const back = await rig.browser().signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'erin');
    expect(back.url).toBe(`${rig.t.url}/admin/`);
  });

  it('never re-enables an account an admin disabled', async () => {
    const users = await json<{ users: { id: number; email: string }[] }>(
      call(rig.t, 'GET', '/users', { token: rig.t.init.admin_token }),
    );
    const bob = users.users.find((u) => u.email === 'bob@example.com');
    await call(rig.t, 'PATCH', `/users/${bob?.id}`, { token: rig.t.init.admin_token }, { disabled: true });
    const page = await rig.browser().signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'bob');
    expect(page.res.status).toBe(403);
    expect(page.text).toContain('An administrator disabled');
  });

  it.each([
    ['a wrong audience', (c: Record<string, unknown>) => ({ ...c, aud: 'another-client' })],
    [
      'an expired ID token',
      (c: Record<string, unknown>) => ({ ...c, iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 }),
    ],
    ['a nonce that is not ours', (c: Record<string, unknown>) => ({ ...c, nonce: 'someone-elses-nonce' })],
    ['another issuer', (c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.example' })],
  ])('refuses %s (no session, the reason in the log)', async (_what, tamper) => {
    rig.idp.tamper = tamper;
    const b = rig.browser();
    const page = await b.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'alice');
    expect(page.res.status).toBe(400);
    expect(page.text).toContain('did not pass the server’s checks');
    expect(b.cookie(rig.t.url, 'escrow_session')).toBeUndefined();
    expect(rig.t.logs()).toContain('single sign-on: sign-in refused');
  });

  it('a fresh sign-in (max_age=0, before a key is shown) refuses an ID token with an old auth_time', async () => {
    rig.idp.tamper = (c) => ({ ...c, auth_time: Math.floor(Date.now() / 1000) - 3600 });
    const b = rig.browser();
    const page = await b.signIn(`${rig.t.url}/sso/login?fresh=1&return_to=%2Fmy-device%2F`, 'carol');
    expect(page.res.status).toBe(400);
    expect(b.cookie(rig.t.url, 'escrow_portal')).toBeUndefined();
    const authorize = new URL(b.visited.find((u) => u.startsWith(`${rig.idp.issuer}/auth?`)) ?? '');
    expect(authorize.searchParams.get('max_age')).toBe('0');
  });

  it('a callback works once: a replayed state (and one from another browser) finds nothing', async () => {
    const b = rig.browser();
    await b.signIn(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`, 'alice');
    const callback = b.visited.find((u) => u.startsWith(`${rig.t.url}/sso/callback`)) ?? '';
    expect(callback).toContain('state=');
    // The same browser replays it (its sign-in cookie is gone with the first use) …
    const replay = await b.request(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
    // … and an attacker's browser that starts its own sign-in cannot use the victim's code and state.
    const attacker = rig.browser();
    await attacker.request(`${rig.t.url}/sso/login?return_to=%2Fadmin%2F`);
    const forged = await attacker.request(callback);
    expect(forged.status).toBe(400);
    expect(attacker.cookie(rig.t.url, 'escrow_session')).toBeUndefined();
  });

  it('GET /sso tells the console what to offer; a sign-in link outside this server is not followed', async () => {
    expect(await json(call(rig.t, 'GET', '/sso', null))).toEqual({
      sso_enabled: true,
      sso_login_url: '/sso/login?return_to=%2Fadmin%2F',
      password_login: true,
    });
    const b = rig.browser();
    const end = await b.signIn(`${rig.t.url}/sso/login?return_to=https%3A%2F%2Fevil.example%2F`, 'carol');
    expect(end.url).toBe(`${rig.t.url}/my-device/`);
  });
});

describe('password sign-in switched off', () => {
  let off: SsoRig;
  beforeAll(async () => {
    off = await startSsoRig({ disablePasswordLogin: true });
  });
  afterAll(async () => {
    await off?.close();
  });

  it('refuses POST /sessions with a code; single sign-on and break-glass still work', async () => {
    const res = await call(off.t, 'POST', '/sessions', null, {
      email: 'x@example.com',
      password: 'whatever-long',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('password_login_disabled');
    expect(await json(call(off.t, 'GET', '/sso', null))).toMatchObject({ password_login: false });

    const { breakGlass } = await import('./break-glass-cli.js');
    const r = await breakGlass({ dataDir: off.t.dataDir, email: 'root@example.com', url: off.t.url });
    expect(r.created).toBe(true);
    const b = off.browser();
    const page = await b.go(r.link);
    expect(page.text).toContain('Sign in to the admin console');
    const code = new URL(r.link).searchParams.get('code') ?? '';
    const signedIn = await b.request(`${off.t.url}/sso/break-glass`, { form: { code } });
    expect(signedIn.status).toBe(303);
    const cookie = `escrow_session=${b.cookie(off.t.url, 'escrow_session')}`;
    expect(await json(call(off.t, 'GET', '/me', session(cookie)))).toMatchObject({ role: 'admin' });
    // Once only.
    const again = await off.browser().request(`${off.t.url}/sso/break-glass`, { form: { code } });
    expect(again.status).toBe(400);
    const acts = await json<{ activities: { type: string }[] }>(
      call(off.t, 'GET', `${API}/activities?type=signed_in_break_glass`, { token: off.t.init.admin_token }),
    );
    expect(acts.activities).toHaveLength(1);
  });
});
