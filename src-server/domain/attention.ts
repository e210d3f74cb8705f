import type { AttentionReason } from '../../ipc/admin/hosts.js';
import type { HostView } from '../storage/records.js';
import { diskEncryptionStatus, luksKeyIsStale, reportedStatus } from './status.js';

/**
 * Why a host needs someone to look at it, in plain words, from what the store knows (pure). The store picks
 * the candidates with the same thresholds (attentionQuery); every candidate gets at least one reason.
 */
export const ATTENTION = {
  /** A host silent this long may be lost, broken or reinstalled without its agent. */
  staleDays: 14,
  /** Enforcing (waiting for the OS to encrypt/escrow) this long after enrollment is stuck, not slow. */
  enforcingDays: 7,
  /** Postponing the log-out this often means the person needs a word from IT. */
  deferralsWorthMentioning: 3,
} as const;

const DAY_MS = 86_400_000;

/** The thresholds the store picks candidates by, as of `now`. */
export function attentionThresholds(now: Date): {
  seenBefore: string;
  enrolledBefore: string;
  deferralsAtLeast: number;
} {
  return {
    seenBefore: new Date(now.getTime() - ATTENTION.staleDays * DAY_MS).toISOString(),
    enrolledBefore: new Date(now.getTime() - ATTENTION.enforcingDays * DAY_MS).toISOString(),
    deferralsAtLeast: ATTENTION.deferralsWorthMentioning,
  };
}

const days = (from: string, now: Date) => Math.floor((now.getTime() - Date.parse(from)) / DAY_MS);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const date = (iso: string) => iso.slice(0, 10);

export function attentionReasons(view: HostView, now: Date): AttentionReason[] {
  const out: AttentionReason[] = [];
  const { host, key } = view;
  // How often the user postponed the log-out the agent asks for now (macOS agents report it).
  const deferrals = host.logout_deferrals ?? null;
  const report = reportedStatus(view);
  const status = diskEncryptionStatus(view).status;
  const managed = view.encryption_enabled;

  if (managed && host.platform === 'linux' && luksKeyIsStale(view, report)) {
    out.push({
      code: 'key_does_not_open_disk',
      text: 'The escrowed key no longer opens the disk: its key slot was removed or changed on the host.',
    });
  }
  if (managed && key?.base64_encrypted && key.decryptable === false) {
    out.push({
      code: 'key_not_decryptable',
      text: 'The escrowed key cannot be decrypted by the server; the host was asked for a new one.',
    });
  }
  if (managed && key && key.client_error !== '') {
    out.push({ code: 'escrow_error', text: `Escrow failed on the host: ${key.client_error}` });
  }
  if (managed && host.platform === 'linux' && report && !report.boot_volume_encrypted) {
    out.push({ code: 'boot_volume_not_encrypted', text: 'The boot volume is not encrypted.' });
  }
  const enrolledDays = days(host.enrolled_at, now);
  if (managed && !key?.base64_encrypted && (status === 'action_required' || status === 'enforcing')) {
    if (host.platform === 'darwin' && !report?.filevault?.enabled) {
      if (enrolledDays >= ATTENTION.enforcingDays) {
        out.push({
          code: 'filevault_off',
          text: `FileVault is still off, ${plural(enrolledDays, 'day')} after the Mac enrolled.`,
        });
      }
    } else if (host.platform === 'windows' && report?.bitlocker && report.bitlocker.protection_status !== 1) {
      out.push({ code: 'bitlocker_off', text: 'BitLocker protection is off.' });
    } else if (status === 'action_required' || enrolledDays >= ATTENTION.enforcingDays) {
      out.push({
        code: 'no_key_escrowed',
        text:
          enrolledDays >= 1
            ? `No key has been escrowed since the host enrolled ${plural(enrolledDays, 'day')} ago.`
            : 'No key has been escrowed yet; the user has been asked.',
      });
    }
  }
  if (managed && deferrals !== null && deferrals >= ATTENTION.deferralsWorthMentioning) {
    out.push({
      code: 'logout_postponed',
      text: `The user postponed the log-out ${plural(deferrals, 'time')}.`,
    });
  }
  const deadline = view.policy.logout_deadline;
  if (
    managed &&
    deadline &&
    Date.parse(deadline) < now.getTime() &&
    status !== 'verified' &&
    status !== 'verifying'
  ) {
    out.push({
      code: 'deadline_passed',
      text: `The log-out deadline (${date(deadline)}) passed without a working key in escrow.`,
    });
  }
  if (managed && host.rotate_requested) {
    out.push({ code: 'rotation_pending', text: 'A new key was requested and has not arrived yet.' });
  }
  const silent = days(host.last_seen_at, now);
  if (silent >= ATTENTION.staleDays) {
    out.push({
      code: 'not_seen_recently',
      text: `Not seen for ${plural(silent, 'day')} (last check-in ${date(host.last_seen_at)}).`,
    });
  }
  // A host the store picked for its status whose reason none of the above names still says why.
  if (out.length === 0 && (status === 'action_required' || status === 'failed')) {
    out.push({
      code: status === 'failed' ? 'escrow_error' : 'no_key_escrowed',
      text: diskEncryptionStatus(view).detail,
    });
  }
  return out;
}
