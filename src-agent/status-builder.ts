import type { ConfigResponse } from '../ipc/agent-server/orbit-api.js';
import type { Action, DeviceStatus, ServerConnection } from '../ipc/desktop-agent/device-status.js';
import { applyDeferrals, type DeferralRecord } from './logout-deferrals.js';
import type { PlatformState } from './platform-port.js';

export interface StatusInputs {
  agentVersion: string;
  platform: DeviceStatus['platform'];
  hostname: string;
  server: ServerConnection;
  config: ConfigResponse | null;
  platformState: PlatformState | null;
  /** The user chose "Not now" until then (ISO time). */
  remindAt: string | null;
  /** What the user did with the current macOS log-out request (deferrals), if it was shown. */
  deferral?: DeferralRecord | null;
  /** An escrow is running right now: its volume shows in_progress and no prompt is due. */
  escrowRunning: boolean;
  now: Date;
}

/** Pure: everything the agent knows → the DeviceStatus every desktop app receives. */
export function buildDeviceStatus(i: StatusInputs): DeviceStatus {
  const ps = i.platformState;
  let volumes = ps?.volumes ?? [];
  if (i.escrowRunning) {
    volumes = volumes.map((v) =>
      v.encryption === 'luks2' ? { ...v, escrow: { ...v.escrow, state: 'in_progress' } } : v,
    );
  }
  return {
    agentVersion: i.agentVersion,
    platform: i.platform,
    hostname: i.hostname.slice(0, 256),
    server: i.server,
    volumes,
    action: i.escrowRunning
      ? null
      : withUserChoices(ps?.action ?? null, i.remindAt, i.deferral ?? null, i.now),
    organization: i.config ? organizationOf(i.config.org_info) : null,
    account: accountOf(i.config),
    updatedAt: i.now.toISOString(),
  };
}

/** Whom the server says this computer is linked to; null before the first config (offline start). */
function accountOf(config: ConfigResponse | null): DeviceStatus['account'] {
  if (!config) return null;
  const u = config.linked_user;
  return {
    linkedUser: u
      ? { email: u.email.slice(0, 320), name: u.name.slice(0, 256), linkedAt: u.linked_at }
      : null,
    // An older server sends no linked_user at all (undefined): it cannot link computers.
    linkable: u !== undefined,
  };
}

/**
 * The user's "Not now" (LUKS) or "Later" (macOS log-out) folded into the platform's action. A reminder time
 * in the past means the prompt is due again: it is not shown at all.
 */
function withUserChoices(
  action: Action | null,
  remindAt: string | null,
  deferral: DeferralRecord | null,
  now: Date,
): Action | null {
  if (action?.kind === 'macos_logout')
    return deferral ? applyDeferrals(action, deferral, now.getTime()) : action;
  if (action?.kind !== 'luks_passphrase') return action;
  const snoozed = remindAt !== null && Date.parse(remindAt) > now.getTime();
  return { ...action, remindAt: snoozed ? remindAt : null };
}

/** Whether the user should be prompted now (an action is pending and not snoozed or cooling down). */
export function promptIsDue(status: DeviceStatus): boolean {
  const a = status.action;
  if (!a) return false;
  if (a.kind === 'luks_passphrase') return a.remindAt === null;
  if (a.kind === 'macos_logout') return a.nextPromptAt === null; // "Later" hides it until then
  return true;
}

/** Two statuses that differ only in their timestamp carry no news for the desktop. */
export function sameStatus(a: DeviceStatus | null, b: DeviceStatus): boolean {
  if (!a) return false;
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

/** The organisation for the desktop, cut to the desktop contract's lengths; empty email and phone left out. */
function organizationOf(org: ConfigResponse['org_info']): NonNullable<DeviceStatus['organization']> {
  return {
    name: org.org_name.slice(0, 256),
    contactUrl: org.contact_url.slice(0, 2048),
    ...(org.contact_email ? { contactEmail: org.contact_email.slice(0, 320) } : {}),
    ...(org.contact_phone ? { contactPhone: org.contact_phone.slice(0, 64) } : {}),
  };
}
