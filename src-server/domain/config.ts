import { createHash } from 'node:crypto';
import type { ConfigResponse } from '../api/agent-api.js';
import type { HostView } from '../storage/port.js';
import { hostNotifications } from './notifications.js';

export interface ServerSettings {
  escrowCertificatePem: string;
  orgInfo: { org_name: string; contact_url: string };
}

/**
 * The config a host gets, with a version derived from its content: any change that matters to the agent
 * changes the version, and nothing has to remember to bump a counter.
 */
export function buildConfig(view: HostView, settings: ServerSettings): ConfigResponse {
  const body = {
    notifications: hostNotifications(view),
    escrow_certificate: settings.escrowCertificatePem,
    org_info: settings.orgInfo,
    disk_encryption: { enabled: view.encryption_enabled },
  };
  const config_version = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return { config_version, ...body };
}
