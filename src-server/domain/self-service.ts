import type { LinkedUser, RecoveryKeyUsed } from '../../ipc/agent-server/orbit-api.js';
import type { HostView } from '../storage/records.js';

/** What a host's link and used-key mark mean to its agent and to the admin API (pure). */

/**
 * The used-key mark while it still covers the current key: it was set when the key escrowed at or before
 * `used_at` was shown, so a newer key (escrowed after the reveal) is not covered, and no key at all (a
 * re-enroll deleted it) is nothing to replace.
 */
export function recoveryKeyUsed(view: HostView): RecoveryKeyUsed | null {
  const mark = view.host.recovery_key_used;
  const key = view.key;
  if (!mark || !key?.base64_encrypted) return null;
  return key.created_at <= mark.used_at ? { used_at: mark.used_at, shown_to: mark.shown_to } : null;
}

export function linkedUser(view: HostView): LinkedUser | null {
  const l = view.host.linked_user;
  return l ? { email: l.email, name: l.name, linked_at: l.linked_at } : null;
}
