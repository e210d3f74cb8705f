import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../../ipc/admin/auth.js';
import { ADMIN_API_BASE } from '../../../ipc/admin/common.js';
import { ADMIN_ROUTES, type AdminRouteName } from '../../../ipc/admin/paths.js';
import { ROUTE_RULES } from '../../domain/authorization.js';
import { addUser, call, PASSWORD, signIn, team, token } from '../../test-support/admin.js';
import { EXPECTED } from '../../test-support/route-expectations.js';
import { enroll, startTestServer, type TestServer } from '../../test-support/server.js';

/**
 * Every admin route the server registered × every role × unscoped or limited to team A, over HTTP, against
 * the hand-written expectations. The route list comes from the running server, so a route added without a
 * rule (or without an expectation) fails here.
 */
let t: TestServer;
let teamA: number;
let teamB: number;
let hostB: { id: number; hostname: string };
const principals = new Map<string, string>();
const key = (role: Role, scoped: boolean) => `${role}:${scoped}`;

beforeAll(async () => {
  t = await startTestServer({ rateLimits: { keyRead: { burst: 10_000, perSecond: 1000 } } });
  teamA = await team(t, 'A');
  teamB = await team(t, 'B');
  const h = await enroll(t);
  await t.server.store.transferHosts(teamB, [h.hostId]);
  hostB = { id: h.hostId, hostname: h.identity.hostname };
  for (const role of Role.options) {
    principals.set(key(role, false), (await token(t, role)).token);
    principals.set(key(role, true), (await token(t, role, [teamA])).token);
  }
});
afterAll(async () => {
  await t.close();
});

const nameOf = new Map(
  Object.entries(ADMIN_ROUTES).map(([n, r]) => [`${r.method} ${ADMIN_API_BASE}${r.path}`, n]),
);

/** A concrete path: hosts and teams of team B (outside the scoped principals' team), unknown users/tokens. */
function concrete(name: AdminRouteName): string {
  const path = ADMIN_ROUTES[name].path;
  const id = path.startsWith('/hosts/') ? hostB.id : path.startsWith('/teams/') ? teamB : 999_999;
  return path.replace(':identifier', hostB.hostname).replace(':id', String(id));
}

describe('admin routes × roles × team scope', () => {
  it('registers exactly the contract, each with a rule, and nothing else under the API prefix', () => {
    const admin = t.server.routes.filter(
      (r) => r.url.startsWith(`${ADMIN_API_BASE}/`) && r.method !== 'HEAD',
    );
    const registered = admin.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual([...nameOf.keys()].sort());
    for (const r of registered) expect(ROUTE_RULES[nameOf.get(r) as AdminRouteName]).toBeDefined();
  });

  const cases = Object.keys(ADMIN_ROUTES).flatMap((name) =>
    Role.options.flatMap((role) =>
      [false, true].map((scoped) => ({ name: name as AdminRouteName, role, scoped })),
    ),
  );

  it.each(cases)('$name as $role (scoped to another team: $scoped)', async ({ name, role, scoped }) => {
    const want = EXPECTED[name];
    const { method } = ADMIN_ROUTES[name];
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const res = await call(
      t,
      method,
      concrete(name),
      { token: principals.get(key(role, scoped)) ?? '' },
      body,
    );
    const answer = (await res.text()) || '{}';
    const roleOk = want.roles === 'public' || want.roles.includes(role);
    const rule = ROUTE_RULES[name];
    if (!roleOk || (scoped && !want.scoped)) {
      expect(res.status, answer).toBe(403);
      return;
    }
    // Allowed by role: never 401/403; a host or team of another team is "not found", as if absent.
    expect([401, 403], answer).not.toContain(res.status);
    const outOfScope = /"(host|team) not found"/.test(answer);
    const targetsOtherTeam =
      scoped &&
      (rule.scope === 'host' || (rule.scope === 'team' && method === 'GET') || name === 'updateTeam');
    expect(outOfScope, `${res.status} ${answer}`).toBe(targetsOtherTeam);
  });

  it('answers 401 with a code to every route but sign-in without credentials', async () => {
    for (const name of Object.keys(ADMIN_ROUTES) as AdminRouteName[]) {
      const { method } = ADMIN_ROUTES[name];
      const res = await call(
        t,
        method,
        concrete(name),
        null,
        method === 'GET' || method === 'DELETE' ? undefined : {},
      );
      if (name === 'signIn') expect(res.status).toBe(400);
      else if (name === 'ssoStatus') expect(res.status).toBe(200);
      else expect(((await res.json()) as { code: string }).code, name).toBe('not_signed_in');
    }
  });

  it('refuses every state-changing route with a session but a missing or forged CSRF token (403)', async () => {
    await addUser(t, 'root@example.com', 'admin');
    const session = await signIn(t, 'root@example.com', PASSWORD);
    for (const name of Object.keys(ADMIN_ROUTES) as AdminRouteName[]) {
      if (!ROUTE_RULES[name].changesState) continue;
      const { method } = ADMIN_ROUTES[name];
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      // One character off the real token (never the same character, or the "forgery" would be the token).
      const offByOne = session.csrf.slice(0, -1) + (session.csrf.endsWith('A') ? 'B' : 'A');
      for (const csrf of [null, 'forged', offByOne]) {
        const res = await call(t, method, concrete(name), { session, csrf }, body);
        expect(res.status, `${name} with csrf ${csrf}`).toBe(403);
        expect(((await res.json()) as { code: string }).code).toBe('csrf_token_invalid');
      }
    }
    // The session still works with the right token (nothing above ended it).
    expect((await call(t, 'GET', '/me', { session })).status).toBe(200);
  });
});
