import type { OrgInfo } from '../../ipc/admin/teams.js';
import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';

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
 * What agents get (and the desktop app's My Device shows): Fleet's org_info (a name and one contact URL)
 * plus our email and phone. Without a URL, the email becomes the mailto: link, so "Contact IT" still works
 * for an agent that knows only Fleet's fields.
 */
export function agentOrgInfo(org: OrgInfo): ConfigResponse['org_info'] {
  const url = org.contact_url || (org.contact_email ? `mailto:${org.contact_email}` : '');
  return {
    org_name: org.org_name,
    contact_url: url,
    contact_email: org.contact_email,
    contact_phone: org.contact_phone,
  };
}
