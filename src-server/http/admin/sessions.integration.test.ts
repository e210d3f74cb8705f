import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, call, json, PASSWORD, signIn, token } from '../../test-support/admin.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';

let t: TestServer;
let now: number;
beforeEach(async () => {
  now = Date.parse('2026-06-01T08:00:00.000Z');
  t = await startTestServer({ clock: () => now, sessions: { idleMinutes: 30, absoluteHours: 12 } });
  await addUser(t, 'alice@example.com', 'admin');
});
afterEach(async () => {
  await t.close();
});

const code = async (res: Response) => ((await res.json()) as { code: string }).code;

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers who and the CSRF token', async () => {
    const res = await call(t, 'POST', '/sessions', null, { email: ' Alice@Example.com', password: PASSWORD });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    // Plain HTTP on loopback: the only case without Secure (and so without the __Host- prefix).
    expect(cookie).toMatch(
      /^escrow_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const me = (await res.json()) as {
      user: { email: string };
      role: string;
      csrf_token: string;
      permissions: string[];
    };
    expect(me.user.email).toBe('alice@example.com');
    expect(me.role).toBe('admin');
    expect(me.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(me.permissions).toContain('users.manage');
    expect(JSON.stringify(me)).not.toMatch(/password_hash|scrypt/);
  });

  it('gives the same answer for an unknown email, a wrong password and a disabled account', async () => {
    const bob = await addUser(t, 'bob@example.com', 'observer');
    await t.server.store.updateUser(bob.id, { disabled: true });
    const answers = [];
    for (const body of [
      { email: 'nobody@example.com', password: PASSWORD },
      { email: 'alice@example.com', password: 'wrong password here' },
      { email: 'bob@example.com', password: PASSWORD },
    ]) {
      const res = await call(t, 'POST', '/sessions', null, body);
      answers.push([res.status, await res.text(), res.headers.get('set-cookie')]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual([
      401,
      JSON.stringify({ error: 'wrong email or password', code: 'bad_credentials' }),
      null,
    ]);
  });

  it('takes similar time for an unknown email and a wrong password (a dummy hash is checked)', async () => {
    const time = async (email: string) => {
      const start = performance.now();
      await call(t, 'POST', '/sessions', null, { email, password: 'wrong password here' });
      return performance.now() - start;
    };
    await time('warm@example.com'); // the dummy hash is made once
    const known = await time('alice@example.com');
    const unknown = await time('nobody@example.com');
    // Both pay one scrypt (tens of ms); without the dummy the unknown one would take about 1 ms.
    expect(unknown).toBeGreaterThan(known / 4);
  });

  it('limits attempts per account (also unknown ones) with 429 and Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await call(t, 'POST', '/sessions', null, { email: 'ghost@example.com', password: 'x' })).status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await call(t, 'POST', '/sessions', null, { email: 'ghost@example.com', password: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    // Another account from the same address is not blocked by the first one's limit.
    expect(
      (await call(t, 'POST', '/sessions', null, { email: 'alice@example.com', password: PASSWORD })).status,
    ).toBe(200);
  });
});

describe('sign-in per address', () => {
  it('limits one address across many emails', async () => {
    await t.close();
    t = await startTestServer({
      clock: () => now,
      rateLimits: { signInAddress: { burst: 3, perSecond: 1 / 60 } },
    });
    const statuses = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']) {
      statuses.push((await call(t, 'POST', '/sessions', null, { email, password: 'x' })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('sessions', () => {
  it('expire after 30 idle minutes and after 12 hours whatever happens, with session_expired', async () => {
    const s = await signIn(t, 'alice@example.com');
    now += 29 * 60_000;
    expect((await call(t, 'GET', '/me', { session: s })).status).toBe(200);
    now += 29 * 60_000; // active, so still alive
    expect((await call(t, 'GET', '/me', { session: s })).status).toBe(200);
    now += 31 * 60_000;
    const idle = await call(t, 'GET', '/me', { session: s });
    expect(idle.status).toBe(401);
    expect(await code(idle)).toBe('session_expired');

    const s2 = await signIn(t, 'alice@example.com');
    for (let i = 0; i < 25; i++) {
      now += 29 * 60_000;
      const res = await call(t, 'GET', '/me', { session: s2 });
      if (res.status !== 200) {
        expect(await code(res)).toBe('session_expired');
        expect(i).toBe(24); // 24 × 29 min = 11.6 h alive; 12.1 h not
        return;
      }
    }
    throw new Error('the session outlived its 12 hours');
  });

  it('signs out here (session_revoked afterwards) and everywhere', async () => {
    const a = await signIn(t, 'alice@example.com');
    const b = await signIn(t, 'alice@example.com');
    const out = await call(t, 'DELETE', '/sessions/current', { session: a });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^escrow_session=; .*Max-Age=0/);
    expect(await code(await call(t, 'GET', '/me', { session: a }))).toBe('session_revoked');
    expect((await call(t, 'GET', '/me', { session: b })).status).toBe(200);
    const c = await signIn(t, 'alice@example.com');
    expect((await call(t, 'DELETE', '/sessions', { session: c })).status).toBe(204);
    expect(await code(await call(t, 'GET', '/me', { session: b }))).toBe('session_revoked');
    expect(await code(await call(t, 'GET', '/me', { session: c }))).toBe('session_revoked');
  });

  it("ends a person's sessions when an admin disables them or ends them", async () => {
    const bob = await addUser(t, 'bob@example.com', 'helpdesk');
    const admin = await token(t, 'admin');
    const s = await signIn(t, 'bob@example.com');
    expect((await call(t, 'DELETE', `/users/${bob.id}/sessions`, admin)).status).toBe(204);
    expect(await code(await call(t, 'GET', '/me', { session: s }))).toBe('session_revoked');
    const s2 = await signIn(t, 'bob@example.com');
    expect((await call(t, 'PATCH', `/users/${bob.id}`, admin, { disabled: true })).status).toBe(200);
    expect(await code(await call(t, 'GET', '/me', { session: s2 }))).toBe('session_revoked');
  });

  it('changes the password: old sessions end, the answer carries a fresh session', async () => {
    const other = await signIn(t, 'alice@example.com');
    const s = await signIn(t, 'alice@example.com');
    const wrong = await call(
      t,
      'POST',
      '/me/password',
      { session: s },
      { current_password: 'nope', new_password: 'another long password' },
    );
    expect(wrong.status).toBe(403);
    const res = await call(
      t,
      'POST',
      '/me/password',
      { session: s },
      {
        current_password: PASSWORD,
        new_password: 'another long password',
      },
    );
    expect(res.status).toBe(200);
    const fresh = {
      cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
      csrf: (await json<{ csrf_token: string }>(res)).csrf_token,
    };
    expect(await code(await call(t, 'GET', '/me', { session: other }))).toBe('session_revoked');
    expect(await code(await call(t, 'GET', '/me', { session: s }))).toBe('session_revoked');
    expect((await call(t, 'GET', '/me', { session: fresh })).status).toBe(200);
    await expect(signIn(t, 'alice@example.com')).rejects.toThrow(/401/);
    expect(await signIn(t, 'alice@example.com', 'another long password')).toBeTruthy();
  });

  it('refuses a made-up cookie and stores only the digest of the session secret', async () => {
    const s = await signIn(t, 'alice@example.com');
    const fake = { cookie: `escrow_session=${'A'.repeat(43)}`, csrf: s.csrf };
    expect(await code(await call(t, 'GET', '/me', { session: fake }))).toBe('not_signed_in');
    const secret = s.cookie.split('=')[1] ?? '';
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    expect(readFileSync(join(t.dataDir, 'escrow.sqlite')).includes(Buffer.from(secret))).toBe(false);
  });
});

describe('API tokens', () => {
  it('are shown once, listed without the secret, expire and are revoked with clear codes', async () => {
    const admin = await token(t, 'admin');
    const created = await json<{ token: string; api_token: { id: number; expires_at: string } }>(
      call(t, 'POST', '/api_tokens', admin, { name: 'ci', role: 'observer', expires_in_days: 1 }),
    );
    expect(created.api_token.expires_at).toBe('2026-06-02T08:00:00.000Z');
    const list = await call(t, 'GET', '/api_tokens', admin);
    expect(await list.text()).not.toContain(created.token);
    const ci = { token: created.token };
    expect((await call(t, 'GET', '/hosts', ci)).status).toBe(200);
    now += 86_400_000;
    expect(await code(await call(t, 'GET', '/hosts', ci))).toBe('token_expired');
    const other = await json<{ token: string; api_token: { id: number } }>(
      call(t, 'POST', '/api_tokens', admin, { name: 'x', role: 'helpdesk', expires_in_days: null }),
    );
    expect((await call(t, 'DELETE', `/api_tokens/${other.api_token.id}`, admin)).status).toBe(204);
    expect(await code(await call(t, 'GET', '/hosts', { token: other.token }))).toBe('token_revoked');
    expect(await code(await call(t, 'GET', '/hosts', { token: 'A'.repeat(43) }))).toBe('invalid_token');
  });

  it('keeps the token made by init working as an admin, and old observer tokens as observers', async () => {
    const me = await json<{ role: string; teams: null; api_token: { name: string } }>(
      call(t, 'GET', '/me', { token: t.init.admin_token }),
    );
    expect(me).toMatchObject({ role: 'admin', teams: null, api_token: { name: 'initial admin' } });
  });
});
