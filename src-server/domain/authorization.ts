import type { Permission, Role, TeamScope } from '../../ipc/admin/auth.js';
import type { AdminRouteName } from '../../ipc/admin/paths.js';

/**
 * Who may call which admin endpoint: the one place these rules live (pure, no I/O). The HTTP layer asks
 * `authorize` before a handler runs and `canSeeTeam` for every host or team it touches; the table-driven
 * test (authorization.test.ts) and the route test (http/admin/routes.integration.test.ts) hold every route to it.
 */

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    'hosts.read',
    'dashboard.read',
    'keys.reveal',
    'keys.rotate',
    'teams.read',
    'teams.write',
    'activities.read',
    'org.read',
    'org.write',
    'users.manage',
    'tokens.manage',
    'hosts.assign',
  ],
  // Runs the fleet (hosts, keys, teams, policy), but cannot make people or tokens, nor rename the organisation.
  maintainer: [
    'hosts.read',
    'dashboard.read',
    'keys.reveal',
    'keys.rotate',
    'teams.read',
    'teams.write',
    'activities.read',
    'org.read',
    'hosts.assign',
  ],
  // Finds a host and gives its key to the person in front of it (and says whose it is); nothing fleet-wide.
  helpdesk: ['hosts.read', 'keys.reveal', 'keys.rotate', 'hosts.assign'],
  // Reads everything but keys.
  observer: ['hosts.read', 'dashboard.read', 'teams.read', 'activities.read', 'org.read'],
};

/**
 * - `public`: no credentials (sign-in).
 * - `self`: any signed-in person or token, about itself.
 * - `fleet`: a list; a principal limited to teams gets only those teams' rows.
 * - `host`: one host; outside the principal's teams it answers 404, as if it did not exist.
 * - `team`: one team (or "no team"); outside the principal's teams → 404.
 * - `global`: not for principals limited to teams (people, tokens, the organisation, new teams) → 403.
 */
export type RouteScope = 'public' | 'self' | 'fleet' | 'host' | 'team' | 'global';

export interface RouteRule {
  permission: Permission | null;
  scope: RouteScope;
  /**
   * Needs the CSRF token when called with a session cookie. Every write, and the key reveals that are GETs
   * (Fleet's path) because they leave an audit record and may ask the host for a new key. Sign-in has no
   * session yet; it takes JSON only, which a cross-site form cannot send.
   */
  changesState: boolean;
}

const read = (permission: Permission, scope: RouteScope): RouteRule => ({
  permission,
  scope,
  changesState: false,
});
const write = (permission: Permission, scope: RouteScope): RouteRule => ({
  permission,
  scope,
  changesState: true,
});

export const ROUTE_RULES: Record<AdminRouteName, RouteRule> = {
  signIn: { permission: null, scope: 'public', changesState: false },
  signOut: { permission: null, scope: 'self', changesState: true },
  signOutEverywhere: { permission: null, scope: 'self', changesState: true },
  me: { permission: null, scope: 'self', changesState: false },
  changePassword: { permission: null, scope: 'self', changesState: true },

  listUsers: read('users.manage', 'global'),
  getUser: read('users.manage', 'global'),
  createUser: write('users.manage', 'global'),
  updateUser: write('users.manage', 'global'),
  deleteUser: write('users.manage', 'global'),
  revokeUserSessions: write('users.manage', 'global'),
  listApiTokens: read('tokens.manage', 'global'),
  createApiToken: write('tokens.manage', 'global'),
  revokeApiToken: write('tokens.manage', 'global'),

  listHosts: read('hosts.read', 'fleet'),
  countHosts: read('hosts.read', 'fleet'),
  exportHosts: read('hosts.read', 'fleet'),
  needsAttention: read('dashboard.read', 'fleet'),
  hostByIdentifier: read('hosts.read', 'host'),
  getHost: read('hosts.read', 'host'),
  hostActivities: read('hosts.read', 'host'),
  archivedKeys: read('hosts.read', 'host'),
  revealKey: write('keys.reveal', 'host'),
  revealKeyPost: write('keys.reveal', 'host'),
  revealArchivedKeys: write('keys.reveal', 'host'),
  revealArchivedKeysPost: write('keys.reveal', 'host'),
  rotateKey: write('keys.rotate', 'host'),
  transferHosts: write('teams.write', 'team'),
  // Gives a known host's identity (its key, its node key) to another enrollment: fleet-wide people only.
  mergePendingHost: write('teams.write', 'global'),

  encryptionSummary: read('dashboard.read', 'fleet'),
  dashboard: read('dashboard.read', 'fleet'),
  dashboardHistory: read('dashboard.read', 'fleet'),

  setDiskEncryption: write('teams.write', 'team'),
  listTeams: read('teams.read', 'fleet'),
  createTeam: write('teams.write', 'global'),
  getTeam: read('teams.read', 'team'),
  updateTeam: write('teams.write', 'team'),

  listActivities: read('activities.read', 'fleet'),
  exportActivities: read('activities.read', 'fleet'),

  getOrg: read('org.read', 'fleet'),
  updateOrg: write('org.write', 'global'),

  // single sign-on, people linked to computers, self-service
  ssoStatus: { permission: null, scope: 'public', changesState: false },
  linkHostUser: write('hosts.assign', 'host'),
  unlinkHostUser: write('hosts.assign', 'host'),
  importHostLinks: write('hosts.assign', 'fleet'),
  listSelfServicePolicies: read('teams.read', 'fleet'),
  updateSelfServicePolicy: write('teams.write', 'team'),
};

/** Who is asking, as the rules see it. */
export interface Subject {
  role: Role;
  teams: TeamScope;
}

export type Decision = 'allow' | 'unauthenticated' | 'forbidden';

export function permissionsOf(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

/** Whether the route may run for this subject at all (team checks on its host or team come after). */
export function authorize(rule: RouteRule, who: Subject | null): Decision {
  if (rule.scope === 'public') return 'allow';
  if (!who) return 'unauthenticated';
  if (rule.permission !== null && !ROLE_PERMISSIONS[who.role].includes(rule.permission)) return 'forbidden';
  if (rule.scope === 'global' && who.teams !== null) return 'forbidden';
  return 'allow';
}

/** Whether a host or team of `teamId` (null = "no team") is visible to the subject. */
export function canSeeTeam(who: Subject, teamId: number | null): boolean {
  if (who.teams === null) return true;
  return teamId !== null && who.teams.includes(teamId);
}
