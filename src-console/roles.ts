import type { Role } from './api/types.js';

/**
 * What each role may do, as the console shows it. The server decides and refuses anyway; this only keeps
 * the console from offering what would be refused (an observer never sees a Reveal button at all).
 */
export interface Capabilities {
  revealKeys: boolean;
  rotateKeys: boolean;
  moveHosts: boolean;
  editPolicy: boolean;
  seePolicy: boolean;
  manageUsers: boolean;
  editOrganisation: boolean;
}

const CAPABILITIES: Record<Role, Capabilities> = {
  admin: {
    revealKeys: true,
    rotateKeys: true,
    moveHosts: true,
    editPolicy: true,
    seePolicy: true,
    manageUsers: true,
    editOrganisation: true,
  },
  maintainer: {
    revealKeys: true,
    rotateKeys: true,
    moveHosts: true,
    editPolicy: true,
    seePolicy: true,
    manageUsers: false,
    editOrganisation: false,
  },
  helpdesk: {
    revealKeys: true,
    rotateKeys: true,
    moveHosts: false,
    editPolicy: false,
    seePolicy: false,
    manageUsers: false,
    editOrganisation: false,
  },
  observer: {
    revealKeys: false,
    rotateKeys: false,
    moveHosts: false,
    editPolicy: false,
    seePolicy: false,
    manageUsers: false,
    editOrganisation: false,
  },
};

export function capabilitiesOf(role: Role): Capabilities {
  return CAPABILITIES[role];
}

export const ROLE_NAMES: Record<Role, string> = {
  admin: 'Admin',
  maintainer: 'Maintainer',
  helpdesk: 'Helpdesk',
  observer: 'Observer',
};
