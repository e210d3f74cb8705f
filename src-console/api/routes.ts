import type { ADMIN_API_BASE, ADMIN_ROUTES, AdminRouteName, CSRF_HEADER } from '../../ipc/admin/admin-api.js';

/**
 * The endpoints the console calls, copied from the contract's ADMIN_ROUTES and held to it by the compiler:
 * `satisfies` fails on a name the contract lacks or a method or path that differs by one character. (The
 * console takes types only from ipc/admin, so it cannot import the table itself.)
 */
export const ROUTES = {
  signIn: { method: 'POST', path: '/sessions' },
  signOut: { method: 'DELETE', path: '/sessions/current' },
  me: { method: 'GET', path: '/me' },
  listUsers: { method: 'GET', path: '/users' },
  createUser: { method: 'POST', path: '/users' },
  updateUser: { method: 'PATCH', path: '/users/:id' },
  listApiTokens: { method: 'GET', path: '/api_tokens' },
  createApiToken: { method: 'POST', path: '/api_tokens' },
  revokeApiToken: { method: 'DELETE', path: '/api_tokens/:id' },
  listHosts: { method: 'GET', path: '/hosts' },
  countHosts: { method: 'GET', path: '/hosts/count' },
  exportHosts: { method: 'GET', path: '/hosts/report' },
  needsAttention: { method: 'GET', path: '/hosts/needs_attention' },
  hostByIdentifier: { method: 'GET', path: '/hosts/identifier/:identifier' },
  getHost: { method: 'GET', path: '/hosts/:id' },
  hostActivities: { method: 'GET', path: '/hosts/:id/activities' },
  archivedKeys: { method: 'GET', path: '/hosts/:id/archived_keys' },
  revealKeyPost: { method: 'POST', path: '/hosts/:id/encryption_key' },
  revealArchivedKeysPost: { method: 'POST', path: '/hosts/:id/archived_encryption_keys' },
  rotateKey: { method: 'POST', path: '/hosts/:id/rotate_encryption_key' },
  transferHosts: { method: 'POST', path: '/hosts/transfer' },
  dashboard: { method: 'GET', path: '/dashboard' },
  dashboardHistory: { method: 'GET', path: '/dashboard/history' },
  setDiskEncryption: { method: 'POST', path: '/disk_encryption' },
  listTeams: { method: 'GET', path: '/teams' },
  createTeam: { method: 'POST', path: '/teams' },
  updateTeam: { method: 'PATCH', path: '/teams/:id' },
  listActivities: { method: 'GET', path: '/activities' },
  exportActivities: { method: 'GET', path: '/activities/report' },
  getOrg: { method: 'GET', path: '/config' },
  updateOrg: { method: 'PATCH', path: '/config' },
  ssoStatus: { method: 'GET', path: '/sso' },
} as const satisfies Partial<typeof ADMIN_ROUTES>;

export const API_BASE: typeof ADMIN_API_BASE = '/api/latest/fleet';
export const CSRF: typeof CSRF_HEADER = 'x-csrf-token';

type Used = keyof typeof ROUTES & AdminRouteName;

/** The URL path of a route, with `:name` parameters filled in (each one URL-encoded). */
export function pathOf(name: Used, params: Record<string, string | number> = {}): string {
  return (
    API_BASE +
    ROUTES[name].path.replace(/:([a-z_]+)/g, (_, p: string) => {
      const v = params[p];
      if (v === undefined) throw new Error(`route ${name} needs :${p}`);
      return encodeURIComponent(String(v));
    })
  );
}

export function methodOf(name: Used): string {
  return ROUTES[name].method;
}
