import type { OrgInfo } from '../../ipc/admin/teams.js';

/** The organisation's name and IT contact: one settings row, set by `PATCH /config` or `escrow-server set-org`. */
export const ORG_SETTING = 'org_info';

export const DEFAULT_ORG: OrgInfo = {
  org_name: 'Escrow Desktop',
  contact_url: '',
  contact_email: '',
  contact_phone: '',
};

export function parseOrg(text: string | null, fallback: OrgInfo): OrgInfo {
  if (!text) return fallback;
  return { ...fallback, ...(JSON.parse(text) as Partial<OrgInfo>) };
}

/**
 * What agents get (and the desktop app's My Device shows): Fleet's org_info has a name and one contact URL.
 * Without a URL, the email becomes a mailto: link, so "Contact IT" still works; the phone number needs a
 * field in the agent contract first (ipc/agent-server), so it is not sent yet.
 */
export function agentOrgInfo(org: OrgInfo): { org_name: string; contact_url: string } {
  const url = org.contact_url || (org.contact_email ? `mailto:${org.contact_email}` : '');
  return { org_name: org.org_name, contact_url: url };
}
