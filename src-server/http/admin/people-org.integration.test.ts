import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, call, json, signIn, team, token } from '../../test-support/admin.js';
import { config, enroll, startTestServer, type TestServer } from '../../test-support/server.js';

let t: TestServer;
let admin: { token: string };
beforeEach(async () => {
  t = await startTestServer({ orgInfo: { org_name: 'Acme' } });
  admin = await token(t, 'admin');
});
afterEach(async () => {
  await t.close();
});

describe('people', () => {
  it('creates, lists, changes and removes people; never shows a password hash', async () => {
    const teamA = await team(t, 'A');
    const created = await call(t, 'POST', '/users', admin, {
      email: 'Bob@Example.com',
      name: '<img src=x onerror=alert(1)>',
      role: 'helpdesk',
      teams: [teamA],
      password: 'a long enough password',
    });
    expect(created.status).toBe(200);
    const { user } = (await created.json()) as {
      user: { id: number; email: string; name: string; teams: number[] };
    };
    expect(user).toMatchObject({
      email: 'bob@example.com',
      name: '<img src=x onerror=alert(1)>',
      teams: [teamA],
    });
    const dup = await call(t, 'POST', '/users', admin, {
      email: 'bob@example.com',
      role: 'observer',
      password: 'a long enough password',
    });
    expect([dup.status, ((await dup.json()) as { code: string }).code]).toEqual([409, 'conflict']);
    expect(
      (
        await call(t, 'POST', '/users', admin, {
          email: 'x@example.com',
          role: 'admin',
          teams: [999],
          password: 'a long enough password',
        })
      ).status,
    ).toBe(400);
    const listed = await call(t, 'GET', '/users', admin);
    expect(await listed.text()).not.toMatch(/scrypt|password/);
    const changed = await json<{ user: { role: string; teams: null } }>(
      call(t, 'PATCH', `/users/${user.id}`, admin, { role: 'maintainer', teams: null }),
    );
    expect(changed.user).toMatchObject({ role: 'maintainer', teams: null });
    expect((await call(t, 'DELETE', `/users/${user.id}`, admin)).status).toBe(204);
    expect((await call(t, 'GET', `/users/${user.id}`, admin)).status).toBe(404);
    const acts = await json<{ activities: { type: string }[] }>(
      call(t, 'GET', '/activities?actor=admin%20(token%20%232)', admin),
    );
    expect(acts.activities.map((a) => a.type)).toEqual(['deleted_user', 'edited_user', 'created_user']);
  });

  it('keeps an admin from disabling, demoting or deleting themselves', async () => {
    const me = await addUser(t, 'root@example.com', 'admin');
    const session = await signIn(t, 'root@example.com');
    const teamA = await team(t, 'A');
    for (const body of [{ disabled: true }, { role: 'observer' }, { teams: [teamA] }]) {
      expect((await call(t, 'PATCH', `/users/${me.id}`, { session }, body)).status).toBe(409);
    }
    expect((await call(t, 'DELETE', `/users/${me.id}`, { session })).status).toBe(409);
    expect((await call(t, 'PATCH', `/users/${me.id}`, { session }, { name: 'Root' })).status).toBe(200);
  });
});

describe('organisation', () => {
  it('is read and set like Fleet (GET/PATCH /config) and reaches agents at once', async () => {
    const h = await enroll(t);
    expect((await config(t, h.nodeKey)).org_info).toEqual({
      org_name: 'Acme',
      contact_url: '',
      contact_email: '',
      contact_phone: '',
    });
    const obs = await token(t, 'observer');
    expect((await call(t, 'PATCH', '/config', obs, { org_info: { org_name: 'X' } })).status).toBe(403);
    const set = await json<{ org_info: unknown }>(
      call(t, 'PATCH', '/config', admin, {
        org_info: { org_name: 'Acme Corp', contact_email: 'it@acme.example', contact_phone: '+1 555 0100' },
      }),
    );
    expect(set.org_info).toEqual({
      org_name: 'Acme Corp',
      contact_url: '',
      contact_email: 'it@acme.example',
      contact_phone: '+1 555 0100',
    });
    // Without a URL the desktop's "Contact IT" opens a mail to the email (Fleet's org_info has one URL);
    // the email and phone themselves reach the desktop's My Device page too.
    expect((await config(t, h.nodeKey)).org_info).toEqual({
      org_name: 'Acme Corp',
      contact_url: 'mailto:it@acme.example',
      contact_email: 'it@acme.example',
      contact_phone: '+1 555 0100',
    });
    await call(t, 'PATCH', '/config', admin, { org_info: { contact_url: 'https://help.acme.example' } });
    expect((await config(t, h.nodeKey)).org_info.contact_url).toBe('https://help.acme.example');
    expect(
      (await call(t, 'PATCH', '/config', admin, { org_info: { contact_url: 'http://insecure' } })).status,
    ).toBe(400);
    expect(
      (await json<{ org_info: { org_name: string } }>(call(t, 'GET', '/config', obs))).org_info.org_name,
    ).toBe('Acme Corp');
  });
});

describe('activities', () => {
  it('filter by type, host and time, page with a cursor, and export as CSV', async () => {
    for (let i = 0; i < 5; i++) await call(t, 'POST', '/teams', admin, { name: `=cmd|' /C calc'!A${i}` });
    const page1 = await json<{ activities: { id: number; type: string }[]; next_cursor: string }>(
      call(t, 'GET', '/activities?type=created_team&per_page=3', admin),
    );
    expect(page1.activities).toHaveLength(3);
    const page2 = await json<{ activities: { id: number }[]; next_cursor: string | null }>(
      call(t, 'GET', `/activities?type=created_team&per_page=3&cursor=${page1.next_cursor}`, admin),
    );
    expect(page2.activities).toHaveLength(2);
    expect(page2.next_cursor).toBeNull();
    expect(Math.max(...page2.activities.map((a) => a.id))).toBeLessThan(
      Math.min(...page1.activities.map((a) => a.id)),
    );
    const future = await json<{ activities: unknown[] }>(
      call(t, 'GET', '/activities?since=2999-01-01T00:00:00Z', admin),
    );
    expect(future.activities).toEqual([]);
    expect((await call(t, 'GET', '/activities?since=yesterday', admin)).status).toBe(400);
    const csv = await (await call(t, 'GET', '/activities/report?format=csv&type=created_team', admin)).text();
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,created_at,actor,actor_kind,type,host_id,team_id,summary,details');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/,created_team,,\d+,/);
    expect(lines[1]).not.toMatch(/,=cmd/);
  });
});
