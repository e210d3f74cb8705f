import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { newKeyRequested } from '../escrow-orchestrator.js';
import type { ServerWishes } from '../platform-port.js';

/** A server config (version v1) with the policy and notifications a test needs. */
export const serverConfig = (
  over: { enabled?: boolean; escrow?: boolean; rotate?: boolean } = {},
): ConfigResponse => ({
  config_version: 'v1',
  notifications: {
    run_disk_encryption_escrow: over.escrow ?? false,
    rotate_disk_encryption_key: over.rotate ?? false,
    enforce_bitlocker_encryption: false,
  },
  escrow_certificate: '-----BEGIN CERTIFICATE-----',
  org_info: { org_name: 'Acme', contact_url: 'https://help.acme.example' },
  disk_encryption: { enabled: over.enabled ?? true },
});

/** The server's wishes as the service judges them, given the config version our last ack came under. */
export const wishes = (
  config: ConfigResponse | null,
  ackedUnderVersion: string | null = null,
): ServerWishes => ({
  config,
  newKeyRequested: newKeyRequested(config, ackedUnderVersion),
});
