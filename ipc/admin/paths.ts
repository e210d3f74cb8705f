/**
 * Every admin endpoint: name → method and path (Fleet's where Fleet has one; `:id` style parameters).
 * The server registers exactly these; the console calls them by name. Paths are relative to
 * ADMIN_API_BASE (`/api/latest/fleet`). Names and paths are stable: new endpoints are added, none renamed.
 */
export const ADMIN_ROUTES = {
  // sessions and the caller
  signIn: { method: 'POST', path: '/sessions' },
  signOut: { method: 'DELETE', path: '/sessions/current' },
  signOutEverywhere: { method: 'DELETE', path: '/sessions' },
  me: { method: 'GET', path: '/me' },
  changePassword: { method: 'POST', path: '/me/password' },
  // people and API tokens
  listUsers: { method: 'GET', path: '/users' },
  createUser: { method: 'POST', path: '/users' },
  getUser: { method: 'GET', path: '/users/:id' },
  updateUser: { method: 'PATCH', path: '/users/:id' },
  deleteUser: { method: 'DELETE', path: '/users/:id' },
  revokeUserSessions: { method: 'DELETE', path: '/users/:id/sessions' },
  listApiTokens: { method: 'GET', path: '/api_tokens' },
  createApiToken: { method: 'POST', path: '/api_tokens' },
  revokeApiToken: { method: 'DELETE', path: '/api_tokens/:id' },
  // hosts
  listHosts: { method: 'GET', path: '/hosts' },
  countHosts: { method: 'GET', path: '/hosts/count' },
  exportHosts: { method: 'GET', path: '/hosts/report' },
  needsAttention: { method: 'GET', path: '/hosts/needs_attention' },
  hostByIdentifier: { method: 'GET', path: '/hosts/identifier/:identifier' },
  getHost: { method: 'GET', path: '/hosts/:id' },
  hostActivities: { method: 'GET', path: '/hosts/:id/activities' },
  archivedKeys: { method: 'GET', path: '/hosts/:id/archived_keys' },
  revealKey: { method: 'GET', path: '/hosts/:id/encryption_key' },
  revealKeyPost: { method: 'POST', path: '/hosts/:id/encryption_key' },
  revealArchivedKeys: { method: 'GET', path: '/hosts/:id/archived_encryption_keys' },
  revealArchivedKeysPost: { method: 'POST', path: '/hosts/:id/archived_encryption_keys' },
  rotateKey: { method: 'POST', path: '/hosts/:id/rotate_encryption_key' },
  transferHosts: { method: 'POST', path: '/hosts/transfer' },
  /** Ours: a pending host (an unproven claim to a known hardware UUID) is that computer; merge the two. */
  mergePendingHost: { method: 'POST', path: '/hosts/:id/merge' },
  // dashboard
  encryptionSummary: { method: 'GET', path: '/disk_encryption' },
  dashboard: { method: 'GET', path: '/dashboard' },
  dashboardHistory: { method: 'GET', path: '/dashboard/history' },
  // teams and policy
  setDiskEncryption: { method: 'POST', path: '/disk_encryption' },
  listTeams: { method: 'GET', path: '/teams' },
  createTeam: { method: 'POST', path: '/teams' },
  getTeam: { method: 'GET', path: '/teams/:id' },
  updateTeam: { method: 'PATCH', path: '/teams/:id' },
  // activities
  listActivities: { method: 'GET', path: '/activities' },
  exportActivities: { method: 'GET', path: '/activities/report' },
  // organisation
  getOrg: { method: 'GET', path: '/config' },
  updateOrg: { method: 'PATCH', path: '/config' },
  // single sign-on, people linked to computers, self-service (ipc/admin/self-service.ts)
  ssoStatus: { method: 'GET', path: '/sso' },
  linkHostUser: { method: 'POST', path: '/hosts/:id/linked_user' },
  unlinkHostUser: { method: 'DELETE', path: '/hosts/:id/linked_user' },
  importHostLinks: { method: 'POST', path: '/hosts/linked_users' },
  listSelfServicePolicies: { method: 'GET', path: '/self_service' },
  updateSelfServicePolicy: { method: 'PATCH', path: '/self_service' },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string }>;

export type AdminRouteName = keyof typeof ADMIN_ROUTES;

/** Where the console is served, on the server's own listener. */
export const CONSOLE_PATH = '/admin/';
