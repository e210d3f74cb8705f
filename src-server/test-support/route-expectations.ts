import type { Role } from '../../ipc/admin/auth.js';
import type { AdminRouteName } from '../../ipc/admin/paths.js';

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

export type Expect = { roles: readonly Role[] | 'public'; scoped: boolean; csrf: boolean };
const E = (roles: readonly Role[] | 'public', scoped: boolean, csrf: boolean): Expect => ({
  roles,
  scoped,
  csrf,
});

export const EXPECTED: Record<AdminRouteName, Expect> = {
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
  mergePendingHost: E(teamWriters, false, true),
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
  ssoStatus: E('public', true, false),
  linkHostUser: E(keyHolders, true, true),
  unlinkHostUser: E(keyHolders, true, true),
  importHostLinks: E(keyHolders, true, true),
  listSelfServicePolicies: E(fleetReaders, true, false),
  updateSelfServicePolicy: E(teamWriters, true, true),
};
