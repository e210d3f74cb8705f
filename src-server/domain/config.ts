import { createHash } from 'node:crypto';
import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import type { HostView } from '../storage/port.js';
import { hostNotifications } from './notifications.js';
import { linkedUser, recoveryKeyUsed } from './self-service.js';

export interface ServerSettings {
  escrowCertificatePem: string;
  orgInfo: ConfigResponse['org_info'];
}

/** Digest of the fleet-wide part, once per settings object (the certificate alone is 1.7 kB of PEM). */
const sharedDigests = new WeakMap<ServerSettings, string>();
function sharedDigest(settings: ServerSettings): string {
  let d = sharedDigests.get(settings);
  if (!d) {
    d = createHash('sha256')
      .update(JSON.stringify([settings.escrowCertificatePem, settings.orgInfo]))
      .digest('hex');
    sharedDigests.set(settings, d);
  }
  return d;
}

/**
 * The config a host gets, with a version derived from its content: any change that matters to the agent
 * changes the version, and nothing has to remember to bump a counter.
 */
export function buildConfig(view: HostView, settings: ServerSettings): ConfigResponse {
  const notifications = hostNotifications(view);
  const { logout_deadline, max_deferrals } = view.policy;
  // The deadline and deferrals only mean something while encryption is enforced.
  const disk_encryption = {
    enabled: view.encryption_enabled,
    ...(view.encryption_enabled && logout_deadline !== null ? { logout_deadline } : {}),
    ...(view.encryption_enabled && max_deferrals !== null ? { max_deferrals } : {}),
  };
  const linked_user = linkedUser(view);
  const recovery_key_used = recoveryKeyUsed(view);
  const config_version = createHash('sha256')
    .update(sharedDigest(settings))
    .update(JSON.stringify([notifications, disk_encryption, linked_user, recovery_key_used]))
    .digest('hex')
    .slice(0, 16);
  return {
    config_version,
    notifications,
    escrow_certificate: settings.escrowCertificatePem,
    org_info: settings.orgInfo,
    disk_encryption,
    linked_user,
    recovery_key_used,
  };
}
