import type { Permission, Role } from './api/types.js';

/**
 * What the console offers, from the permissions the server lists in /me (the server decides, and refuses
 * anyway; this only keeps the console from offering what would be refused: an observer never sees a Reveal
 * button, helpdesk never sees policy or users).
 */
export interface Capabilities {
  seeDashboard: boolean;
  seeActivities: boolean;
  revealKeys: boolean;
  rotateKeys: boolean;
  seeTeams: boolean;
  /** Teams, policy and moving hosts. */
  editTeams: boolean;
  seeOrganisation: boolean;
  editOrganisation: boolean;
  manageUsers: boolean;
  manageTokens: boolean;
}

export function capabilitiesOf(permissions: readonly Permission[]): Capabilities {
  const has = (p: Permission) => permissions.includes(p);
  return {
    seeDashboard: has('dashboard.read'),
    seeActivities: has('activities.read'),
    revealKeys: has('keys.reveal'),
    rotateKeys: has('keys.rotate'),
    seeTeams: has('teams.read'),
    editTeams: has('teams.write'),
    seeOrganisation: has('org.read'),
    editOrganisation: has('org.write'),
    manageUsers: has('users.manage'),
    manageTokens: has('tokens.manage'),
  };
}

export const ROLE_NAMES: Record<Role, string> = {
  admin: 'Admin',
  maintainer: 'Maintainer',
  helpdesk: 'Helpdesk',
  observer: 'Observer',
};
