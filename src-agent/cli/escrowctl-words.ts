import type { DeviceStatus, EscrowState, ServerConnection } from '../../ipc/desktop-agent/device-status.js';

/**
 * escrowctl status in plain words, for the person at a terminal (`--json` is the machine form). Times are
 * in the user's own time zone and locale, as the desktop app shows them (src-renderer/format.ts).
 */

export function localTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const SERVER: Record<ServerConnection['state'], string> = {
  connected: 'connected',
  connecting: 'connecting…',
  unreachable: 'not reachable',
  not_enrolled: 'not enrolled yet',
};

const ESCROW: Record<EscrowState, string> = {
  escrowed: 'the recovery key is held by the escrow server',
  uploading: 'a new recovery key is on the disk; it is being sent to the escrow server',
  in_progress: 'a new recovery key is being made now',
  action_required: 'a recovery key is needed: your disk passphrase is asked for once',
  failed: 'the last attempt failed',
  not_required: 'your organisation does not ask for a recovery key for this disk',
  unknown: 'not checked yet',
};

const REASON = {
  no_key: 'the escrow server holds no recovery key for this disk',
  key_removed: 'the recovery key was removed or changed on this computer',
  rotation_requested: 'your organisation asked for a new recovery key',
} as const;

export function statusLines(s: DeviceStatus): string[] {
  const server = s.server;
  const serverLine = server.slowDown
    ? `connected; it asked us to wait until ${localTime(server.slowDown.retryAt)}`
    : SERVER[server.state];
  const lines = [
    `Computer:  ${s.hostname} (agent ${s.agentVersion})`,
    `Server:    ${server.url}: ${serverLine}${server.lastContactAt ? `, last contact ${localTime(server.lastContactAt)}` : ''}`,
  ];
  if (server.message && server.state !== 'connected') lines.push(`           ${server.message}`);
  if (s.volumes.length === 0) lines.push('Disk:      no encrypted disk found');
  for (const v of s.volumes) {
    const what = v.encrypted ? v.encryption.toUpperCase() : 'not encrypted';
    lines.push(`Disk:      ${v.label}, ${v.device} (${what})`);
    let state = ESCROW[v.escrow.state];
    if (v.escrow.state === 'escrowed' && v.escrow.escrowedAt)
      state += ` (since ${localTime(v.escrow.escrowedAt)})`;
    if (v.escrow.keySlot !== null) state += `; key slot ${v.escrow.keySlot}`;
    lines.push(`           ${state}`);
    if (v.escrow.message) lines.push(`           ${v.escrow.message}`);
  }
  const a = s.action;
  if (a?.kind === 'luks_passphrase') {
    lines.push(`To do:     create a recovery key (escrowctl escrow-luks): ${REASON[a.reason]}`);
    if (a.cooldownUntil)
      lines.push(`           too many wrong passphrases: try again after ${localTime(a.cooldownUntil)}`);
    else if (a.remindAt) lines.push(`           you asked to be reminded at ${localTime(a.remindAt)}`);
  } else if (a?.kind === 'macos_logout') {
    lines.push(
      `To do:     log out and back in, so macOS can make a new recovery key${a.deadline ? ` (by ${localTime(a.deadline)})` : ''}`,
    );
  } else if (a?.kind === 'bitlocker') lines.push(`To do:     ${a.message}`);
  else lines.push('To do:     nothing');
  const org = s.organization;
  if (org?.name || org?.contactUrl)
    lines.push(`Help:      ${[org.name, org.contactUrl.replace(/^mailto:/, '')].filter(Boolean).join(', ')}`);
  return lines;
}
