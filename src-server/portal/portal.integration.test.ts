import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { call, json } from '../test-support/admin.js';
import type { Browser } from '../test-support/oidc-idp.js';
import { enroll, envelopeFor, luksKey } from '../test-support/server.js';
import {
  agentConfig,
  csrfOf,
  linkCode,
  linkThroughPage,
  newLinkCode,
  type SsoRig,
  startSsoRig,
} from '../test-support/sso.js';

/**
 * Linking a computer to its person and the self-service portal, end to end over HTTP: the agent's one-time
 * code, the link page behind single sign-on, the portal's own-computers-only view, and a reveal that needs
 * a fresh sign-in, a confirmation and a reason, is audited, limited, and tells the agent to replace the key.
 */
let rig: SsoRig;
const admin = () => ({ token: rig.t.init.admin_token });

beforeAll(async () => {
  rig = await startSsoRig();
  await rig.t.server.store.setDiskEncryption(null, true);
});
afterAll(async () => {
  await rig?.close();
});

async function hostWithKey(seed: number) {
  const h = await enroll(rig.t, 'linux');
  const res = await rig.t.post(AGENT_API_PATHS.luksData, {
    orbit_node_key: h.nodeKey,
    key_slot: 1,
    salt: 'c2FsdA==',
    base64_encrypted: await envelopeFor(rig.t, h.nodeKey, luksKey(seed)),
    client_error: '',
  });
  expect(res.status).toBe(204);
  return h;
}

describe('linking a computer to its person', () => {
  it('one-time code from the agent → sign in → confirm the name → linked; shown to the agent and to admins', async () => {
    const h = await enroll(rig.t);
    expect((await agentConfig(rig.t, h.nodeKey)).linked_user).toBeNull();
    const code = await newLinkCode(rig.t, h.nodeKey);
    expect(code.link_path).toBe(`/link?code=${code.code}`);
    expect(code.expires_in_seconds).toBe(600);
    const b = rig.browser();
    const before = await b.go(`${rig.t.url}${code.link_path}`);
    expect(before.text).toContain('Sign in with your work account');
    expect(before.text).not.toContain(h.identity.hostname);
    const confirm = await b.signIn(`${rig.t.url}${code.link_path}`, 'carol');
    expect(confirm.url).toBe(`${rig.t.url}${code.link_path}`);
    expect(confirm.text).toContain('Is this your computer?');
    expect(confirm.text).toContain(h.identity.hostname);
    const done = await b.go(`${rig.t.url}/link`, { form: { csrf: csrfOf(confirm.text), code: code.code } });
    expect(done.text).toContain('is now linked to you');

    expect((await agentConfig(rig.t, h.nodeKey)).linked_user).toMatchObject({
      email: 'carol@example.com',
      name: 'Carol Owner',
    });
    const host = await json<{ host: { linked_user: unknown } }>(
      call(rig.t, 'GET', `/hosts/${h.hostId}`, admin()),
    );
    expect(host.host.linked_user).toMatchObject({ email: 'carol@example.com', linked_via: 'link_code' });
    const acts = await json<{ activities: { type: string; actor: string }[] }>(
      call(rig.t, 'GET', `/hosts/${h.hostId}/activities`, admin()),
    );
    expect(acts.activities.some((a) => a.type === 'linked_host' && a.actor === 'carol@example.com')).toBe(
      true,
    );

    // Used once: the same link again, even by the same person, no longer works; a linked host gets no code.
    const again = await b.go(`${rig.t.url}${code.link_path}`);
    expect(again.res.status).toBe(410);
    expect((await linkCode(rig.t, h.nodeKey)).status).toBe(409);
  });

  it('codes expire after ten minutes, a new one replaces the old, and garbage is just "no longer works"', async () => {
    const h = await enroll(rig.t);
    const first = await newLinkCode(rig.t, h.nodeKey);
    const second = await newLinkCode(rig.t, h.nodeKey);
    const b = rig.browser();
    await b.signIn(`${rig.t.url}/my-device/`, 'dave');
    expect((await b.go(`${rig.t.url}${first.link_path}`)).res.status).toBe(410);
    expect((await b.go(`${rig.t.url}${second.link_path}`)).res.status).toBe(200);
    rig.clock.advance(10 * 60_000 + 1);
    try {
      const late = await b.go(`${rig.t.url}${second.link_path}`);
      expect(late.res.status).toBe(410);
      // Posting the form of an expired code links nothing either.
      const page = await b.go(`${rig.t.url}/my-device/`);
      const post = await b.go(`${rig.t.url}/link`, { form: { csrf: csrfOf(page.text), code: second.code } });
      expect(post.res.status).toBe(410);
    } finally {
      rig.clock.advance(-(10 * 60_000 + 1));
    }
    expect((await agentConfig(rig.t, h.nodeKey)).linked_user).toBeNull();
    expect((await b.go(`${rig.t.url}/link?code=${'x'.repeat(43)}`)).res.status).toBe(410);
    // The database holds digests only.
    const raw = await rig.t.server.store.sso.findLinkCode(second.code);
    expect(raw).toBeNull();
  });

  it('a form post without the CSRF field (or from another origin) links nothing', async () => {
    const h = await enroll(rig.t);
    const code = await newLinkCode(rig.t, h.nodeKey);
    const b = rig.browser();
    await b.signIn(`${rig.t.url}${code.link_path}`, 'dave');
    const res = await b.request(`${rig.t.url}/link`, { form: { code: code.code } });
    expect(res.status).toBe(403);
    expect((await agentConfig(rig.t, h.nodeKey)).linked_user).toBeNull();
  });

  it('admins link, unlink and import links from CSV (all or nothing), each an activity', async () => {
    const a = await enroll(rig.t);
    const c = await enroll(rig.t);
    const linked = await json<{ linked_user: { email: string } }>(
      call(rig.t, 'POST', `/hosts/${a.hostId}/linked_user`, admin(), { email: 'Dave@Example.com' }),
    );
    expect(linked.linked_user).toMatchObject({ email: 'dave@example.com' });
    expect((await agentConfig(rig.t, a.nodeKey)).linked_user?.email).toBe('dave@example.com');
    expect((await call(rig.t, 'DELETE', `/hosts/${a.hostId}/linked_user`, admin())).status).toBe(204);
    expect((await agentConfig(rig.t, a.nodeKey)).linked_user).toBeNull();

    const csv = `serial,email\n${a.identity.hardware_serial},frank@example.com\n\n${c.identity.hardware_serial};Grace@example.com\n`;
    const dry = await json<{ dry_run: boolean; linked: unknown[] }>(
      call(rig.t, 'POST', '/hosts/linked_users', admin(), { csv, dry_run: true }),
    );
    expect(dry).toMatchObject({ dry_run: true });
    expect(dry.linked).toHaveLength(2);
    expect((await agentConfig(rig.t, a.nodeKey)).linked_user).toBeNull();
    const bad = await call(rig.t, 'POST', '/hosts/linked_users', admin(), {
      csv: `${csv}NOPE,x@example.com\nnot a line\n`,
    });
    expect(bad.status).toBe(400);
    const problems = ((await bad.json()) as { details: { path: string }[] }).details.map((d) => d.path);
    expect(problems).toEqual(['line 6', 'line 5']);
    expect((await agentConfig(rig.t, a.nodeKey)).linked_user).toBeNull();
    const ok = await json<{ linked: unknown[]; unchanged: number }>(
      call(rig.t, 'POST', '/hosts/linked_users', admin(), { csv }),
    );
    expect(ok.linked).toHaveLength(2);
    expect((await agentConfig(rig.t, c.nodeKey)).linked_user?.email).toBe('grace@example.com');
    const again = await json<{ linked: unknown[]; unchanged: number }>(
      call(rig.t, 'POST', '/hosts/linked_users', admin(), { csv }),
    );
    expect(again).toMatchObject({ linked: [], unchanged: 2 });
    const acts = await json<{ activities: { type: string }[] }>(
      call(rig.t, 'GET', '/activities?per_page=50', admin()),
    );
    const types = acts.activities.map((x) => x.type);
    expect(types).toEqual(expect.arrayContaining(['linked_host', 'unlinked_host', 'imported_host_links']));
  });

  it('the link page refuses a computer already linked to someone else', async () => {
    const h = await enroll(rig.t);
    const code = await newLinkCode(rig.t, h.nodeKey);
    await call(rig.t, 'POST', `/hosts/${h.hostId}/linked_user`, admin(), { email: 'dave@example.com' });
    const b = rig.browser();
    const page = await b.signIn(`${rig.t.url}${code.link_path}`, 'carol');
    expect(page.res.status).toBe(409);
  });
});

describe('the self-service portal', () => {
  let carol: Browser;
  let mine: Awaited<ReturnType<typeof hostWithKey>>;
  let theirs: Awaited<ReturnType<typeof hostWithKey>>;

  beforeAll(async () => {
    mine = await hostWithKey(3);
    theirs = await hostWithKey(4);
    carol = rig.browser();
    await linkThroughPage(rig, carol, mine.nodeKey, 'carol');
    await call(rig.t, 'POST', `/hosts/${theirs.hostId}/linked_user`, admin(), { email: 'dave@example.com' });
  });

  it('lists only the person’s own computers; another person’s computer is 404 like none', async () => {
    const home = await carol.go(`${rig.t.url}/my-device/`);
    expect(home.text).toContain(mine.identity.hostname);
    expect(home.text).not.toContain(theirs.identity.hostname);
    expect(home.res.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(home.res.headers.get('cache-control')).toBe('no-store');
    for (const path of [
      `/my-device/hosts/${theirs.hostId}`,
      `/my-device/hosts/${theirs.hostId}/reveal`,
      '/my-device/hosts/999999',
    ]) {
      const page = await carol.go(`${rig.t.url}${path}`);
      expect(page.res.status, path).toBe(404);
      expect(page.text).not.toContain(theirs.identity.hostname);
    }
    const post = await carol.request(`${rig.t.url}/my-device/hosts/${theirs.hostId}/reveal`, {
      form: { csrf: csrfOf(home.text), confirm_host: String(theirs.hostId), reason: 'forgot_passphrase' },
    });
    expect(post.status).toBe(404);
  });

  it('reveal: a fresh sign-in (max_age=0), which computer and why; key grouped as typed; audited; the agent must rotate', async () => {
    // Eleven minutes after the sign-in that linked the host: still signed in, but not fresh.
    rig.clock.advance(11 * 60_000);
    try {
      const stale = await carol.go(`${rig.t.url}/my-device/hosts/${mine.hostId}/reveal`);
      expect(stale.text).toContain('Sign in again');
      const fresh = await carol.signIn(`${rig.t.url}/my-device/hosts/${mine.hostId}/reveal`, 'carol');
      const authorize = new URL(
        carol.visited.filter((u) => u.startsWith(`${rig.idp.issuer}/auth?`)).at(-1) ?? '',
      );
      expect(authorize.searchParams.get('max_age')).toBe('0');
      // The identity provider's auth_time is real time and our clock runs 11 minutes ahead: still not fresh.
      expect(fresh.text).toContain('Sign in again');
    } finally {
      rig.clock.advance(-11 * 60_000);
    }
    const form = await carol.go(`${rig.t.url}/my-device/hosts/${mine.hostId}/reveal`);
    expect(form.text).toContain('Which computer is locked?');
    const csrf = csrfOf(form.text);
    const url = `${rig.t.url}/my-device/hosts/${mine.hostId}/reveal`;
    const unconfirmed = await carol.go(url, { form: { csrf, reason: 'forgot_passphrase' } });
    expect(unconfirmed.res.status).toBe(400);
    const noCsrf = await carol.request(url, {
      form: { confirm_host: String(mine.hostId), reason: 'forgot_passphrase' },
    });
    expect(noCsrf.status).toBe(403);

    const shown = await carol.go(url, {
      form: {
        csrf,
        confirm_host: String(mine.hostId),
        reason: 'forgot_passphrase',
        details: 'after holidays',
      },
    });
    expect(shown.res.status).toBe(200);
    const groups = [...shown.text.matchAll(/<span class="g">([a-z]+)<\/span>/g)].map((m) => m[1]);
    expect(groups.join('-')).toBe(luksKey(3));
    expect(shown.text).toContain('QWERTY, QWERTZ and AZERTY');

    const cfg = await agentConfig(rig.t, mine.nodeKey);
    expect(cfg.recovery_key_used).toMatchObject({ shown_to: 'owner' });
    expect(cfg.notifications.rotate_disk_encryption_key).toBe(true);
    const host = await json<{ host: { recovery_key_used: unknown; rotate_requested: boolean } }>(
      call(rig.t, 'GET', `/hosts/${mine.hostId}`, admin()),
    );
    expect(host.host).toMatchObject({ rotate_requested: true, recovery_key_used: { shown_to: 'owner' } });
    const acts = await json<{
      activities: { type: string; actor: string; details: { reason: string }; summary: string }[];
    }>(call(rig.t, 'GET', `/activities?type=self_service_read_disk_encryption_key`, admin()));
    expect(acts.activities[0]).toMatchObject({ actor: 'carol@example.com' });
    expect(acts.activities[0]?.details.reason).toContain('after holidays');

    // The agent escrows a new key: the mark and the rotation request are over.
    const res = await rig.t.post(AGENT_API_PATHS.luksData, {
      orbit_node_key: mine.nodeKey,
      key_slot: 2,
      salt: 'c2FsdDI=',
      base64_encrypted: await envelopeFor(rig.t, mine.nodeKey, luksKey(5)),
      client_error: '',
    });
    expect(res.status).toBe(204);
    const after = await agentConfig(rig.t, mine.nodeKey);
    expect(after.recovery_key_used).toBeNull();
    expect(after.notifications.rotate_disk_encryption_key).toBe(false);
  });

  it('the team’s policy: reveals per day, and self-service off', async () => {
    await call(rig.t, 'PATCH', '/self_service', admin(), { team_id: null, reveals_per_day: 1 });
    const url = `${rig.t.url}/my-device/hosts/${mine.hostId}/reveal`;
    const form = await carol.go(url);
    const over = await carol.go(url, {
      form: { csrf: csrfOf(form.text), confirm_host: String(mine.hostId), reason: 'other' },
    });
    expect(over.res.status).toBe(429);
    await call(rig.t, 'PATCH', '/self_service', admin(), {
      team_id: null,
      enabled: false,
      reveals_per_day: 3,
    });
    const page = await carol.go(`${rig.t.url}/my-device/hosts/${mine.hostId}`);
    expect(page.text).toContain('turned off');
    const off = await carol.go(url, {
      form: { csrf: csrfOf(form.text), confirm_host: String(mine.hostId), reason: 'other' },
    });
    expect(off.res.status).toBe(403);
    expect(await json(call(rig.t, 'GET', '/self_service', admin()))).toEqual({
      policies: [{ team_id: null, enabled: false, reveals_per_day: 3 }],
    });
    await call(rig.t, 'PATCH', '/self_service', admin(), { team_id: null, enabled: true });
  });

  it('signing out ends the portal session', async () => {
    const b = rig.browser();
    await b.signIn(`${rig.t.url}/my-device/`, 'dave');
    const home = await b.go(`${rig.t.url}/my-device/`);
    expect(home.text).toContain(theirs.identity.hostname);
    const cookie = b.cookie(rig.t.url, 'escrow_portal');
    await b.go(`${rig.t.url}/sso/logout`, { form: { csrf: csrfOf(home.text) } });
    b.setCookie(rig.t.url, 'escrow_portal', cookie ?? '');
    expect((await b.go(`${rig.t.url}/my-device/`)).text).toContain('Sign in with your work account');
  });
});
