import type { Notifications } from '../../ipc/agent-server/orbit-api.js';
import type { HostView } from '../storage/port.js';
import { luksKeyIsStale, reportedStatus } from './status.js';

/**
 * The flags the agent acts on. Unlike Fleet's one-shot `run_disk_encryption_escrow` (cleared once sent),
 * ours are level-triggered: true for as long as the server needs a key. With long-poll an agent may read
 * the same config many times, and a flag that survives a lost response cannot be missed; the agent keeps
 * its own prompt cool-down so a repeated flag never means a repeated prompt.
 */
export function hostNotifications(view: HostView): Notifications {
  const { host, key } = view;
  const enabled = view.encryption_enabled;
  const goodKey = Boolean(key?.base64_encrypted) && key?.decryptable !== false;
  const report = reportedStatus(view);
  const isLinux = host.platform === 'linux';
  const isWindows = host.platform === 'windows';

  const needsLuksKey = isLinux && enabled && (!goodKey || luksKeyIsStale(view, report));
  // A Mac gets a new PRK at the next login (Escrow Buddy) when the server's key does not decrypt, or when
  // FileVault is on and no key ever arrived (a Mac encrypted before it was enrolled).
  const isMac = host.platform === 'darwin';
  const macNeedsKey =
    isMac &&
    ((Boolean(key?.base64_encrypted) && key?.decryptable === false) ||
      (!key?.base64_encrypted && report?.filevault?.enabled === true));
  const bitlockerOff =
    isWindows && report?.bitlocker !== undefined && report.bitlocker.protection_status !== 1;
  return {
    run_disk_encryption_escrow: needsLuksKey,
    rotate_disk_encryption_key: enabled && (host.rotate_requested || macNeedsKey),
    enforce_bitlocker_encryption: isWindows && enabled && (!goodKey || bitlockerOff),
  };
}
