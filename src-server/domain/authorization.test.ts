import { describe, expect, it } from 'vitest';
import { Role } from '../../ipc/admin/auth.js';
import { ADMIN_ROUTES, type AdminRouteName } from '../../ipc/admin/paths.js';
import { authorize, canSeeTeam, ROUTE_RULES, type Subject } from './authorization.js';

/**
 * The rules as the issue states them, written out by hand, route by route: who may call it, whether a
 * principal limited to teams may, and whether it needs the CSRF token. Every route of the contract must
 * be here, so a new route fails this test until someone decides.
 */
const all = ['admin', 'maintainer', 'helpdesk', 'observer'] as const;
const hostReaders = all;
const keyHolders = ['admin', 'maintainer', 'helpdesk'] as const;
const fleetReaders = ['admin', 'maintainer', 'observer'] as const;
const teamWriters = ['admin', 'maintainer'] as const;
const adminOnly = ['admin'] as const;

type Expect = { roles: readonly Role[] | 'public'; scoped: boolean; csrf: boolean };
const E = (roles: readonly Role[] | 'public', scoped: boolean, csrf: boolean): Expect => ({
  roles,
  scoped,
  csrf,
});

const EXPECTED: Record<AdminRouteName, Expect> = {
  signIn: E('public', true, false),
  signOut: E(all, true, true),
  signOutEverywhere: E(all, true, true),
  me: E(all, true, false),
  changePassword: E(all, true, true),
  listUsers: E(adminOnly, false, false),
  getUser: E(adminOnly, false, false),
  createUser: E(adminOnly, false, true),
  updateUser: E(adminOnly, false, true),
  deleteUser: E(adminOnly, false, true),
  revokeUserSessions: E(adminOnly, false, true),
  listApiTokens: E(adminOnly, false, false),
  createApiToken: E(adminOnly, false, true),
  revokeApiToken: E(adminOnly, false, true),
  listHosts: E(hostReaders, true, false),
  countHosts: E(hostReaders, true, false),
  exportHosts: E(hostReaders, true, false),
  needsAttention: E(fleetReaders, true, false),
  hostByIdentifier: E(hostReaders, true, false),
  getHost: E(hostReaders, true, false),
  hostActivities: E(hostReaders, true, false),
  archivedKeys: E(hostReaders, true, false),
  revealKey: E(keyHolders, true, true),
  revealKeyPost: E(keyHolders, true, true),
  revealArchivedKeys: E(keyHolders, true, true),
  revealArchivedKeysPost: E(keyHolders, true, true),
  rotateKey: E(keyHolders, true, true),
  transferHosts: E(teamWriters, true, true),
  encryptionSummary: E(fleetReaders, true, false),
  dashboard: E(fleetReaders, true, false),
  dashboardHistory: E(fleetReaders, true, false),
  setDiskEncryption: E(teamWriters, true, true),
  listTeams: E(fleetReaders, true, false),
  createTeam: E(teamWriters, false, true),
  getTeam: E(fleetReaders, true, false),
  updateTeam: E(teamWriters, true, true),
  listActivities: E(fleetReaders, true, false),
  exportActivities: E(fleetReaders, true, false),
  getOrg: E(fleetReaders, true, false),
  updateOrg: E(adminOnly, false, true),
};

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
