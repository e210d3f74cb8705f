import { describe, expect, it } from 'vitest';
import { Role } from '../../ipc/admin/auth.js';
import { ADMIN_ROUTES, type AdminRouteName } from '../../ipc/admin/paths.js';
import { EXPECTED } from '../test-support/route-expectations.js';
import { authorize, canSeeTeam, ROUTE_RULES, type Subject } from './authorization.js';

const routes = Object.keys(ADMIN_ROUTES) as AdminRouteName[];
const scopes: Subject['teams'][] = [null, [7]];
const cases = routes.flatMap((route) =>
  Role.options.flatMap((role) => scopes.map((teams) => ({ route, role, teams, scoped: teams !== null }))),
);

describe('authorization rules', () => {
  it('has a rule and an expectation for every route of the contract, and no others', () => {
    expect(Object.keys(ROUTE_RULES).sort()).toEqual([...routes].sort());
    expect(Object.keys(EXPECTED).sort()).toEqual([...routes].sort());
  });

  it.each(cases)('$route as $role (scoped: $scoped)', ({ route, role, teams }) => {
    const want = EXPECTED[route];
    const allowed = want.roles === 'public' || (want.roles.includes(role) && (teams === null || want.scoped));
    expect(authorize(ROUTE_RULES[route], { role, teams })).toBe(allowed ? 'allow' : 'forbidden');
  });

  it.each(routes)('%s: without credentials only sign-in runs; CSRF where it changes state', (route) => {
    const want = EXPECTED[route];
    expect(authorize(ROUTE_RULES[route], null)).toBe(want.roles === 'public' ? 'allow' : 'unauthenticated');
    expect(ROUTE_RULES[route].changesState).toBe(want.csrf);
    // Every non-GET route changes state.
    if (ADMIN_ROUTES[route].method !== 'GET' && route !== 'signIn') expect(want.csrf).toBe(true);
  });

  it('shows a principal limited to teams only those teams, never "no team"', () => {
    expect(canSeeTeam({ role: 'helpdesk', teams: [1, 2] }, 2)).toBe(true);
    expect(canSeeTeam({ role: 'helpdesk', teams: [1, 2] }, 3)).toBe(false);
    expect(canSeeTeam({ role: 'admin', teams: [1] }, null)).toBe(false);
    expect(canSeeTeam({ role: 'observer', teams: null }, null)).toBe(true);
  });
});
