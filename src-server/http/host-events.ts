import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowStore } from '../storage/port.js';
import type { HostView } from '../storage/records.js';

/**
 * Host events for the host page's timeline, written to the same activities table as admin actions (the
 * host is the actor). Status changes are recorded by the store itself; these are the events around them.
 */
export async function hostEvent(
  store: EscrowStore,
  view: HostView,
  type: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await store.addActivity({
    actor: view.host.hostname,
    actor_kind: 'host',
    type,
    host_id: view.host.id,
    team_id: view.host.team_id,
    details: { host_display_name: view.host.hostname, ...details },
  });
}

const KIND: Record<Platform, string> = { linux: 'LUKS', darwin: 'FileVault', windows: 'BitLocker' };
export const keyKindName = (p: Platform) => KIND[p];

/** The verification job's answer for one key (the status change is recorded by the store). */
export async function recordVerification(
  store: EscrowStore,
  hostId: number,
  decryptable: boolean,
): Promise<void> {
  const view = await store.getHostView(hostId);
  if (!view) return;
  await store.addActivity({
    actor: 'system',
    actor_kind: 'system',
    type: decryptable ? 'key_verified' : 'key_not_decryptable',
    host_id: hostId,
    team_id: view.host.team_id,
    details: { host_display_name: view.host.hostname },
  });
}
