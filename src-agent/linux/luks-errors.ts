import { AgentError } from '../../ipc/desktop-agent/errors.js';
import { errorMessage } from '../../node-lib/error-message.js';
import { CryptsetupError } from './cryptsetup.js';

/**
 * The LUKS module's failures as the AgentErrors the desktop and escrowctl show: a code for programs and a
 * message in plain words for people. cryptsetup's own message only reaches the user for failures we have
 * no better words for.
 */

const MAX_PASSPHRASE_BYTES = 8192;

/**
 * Passphrases are bytes (UTF-8 from the desktop): spaces, any Unicode and long ones are fine. A newline
 * cannot be passed on the boot-prompt-style stdin and cannot be typed at the boot prompt either.
 */
export function validatePassphrase(p: Buffer): void {
  if (p.length === 0) throw new AgentError('invalid_passphrase', 'The passphrase is empty.');
  if (p.length > MAX_PASSPHRASE_BYTES)
    throw new AgentError('invalid_passphrase', 'The passphrase is too long.');
  if (p.includes(0x0a) || p.includes(0x0d) || p.includes(0x00)) {
    throw new AgentError(
      'invalid_passphrase',
      'The passphrase contains a line break, which a disk passphrase cannot.',
    );
  }
}

export function cooldownError(until: Date): AgentError {
  return new AgentError(
    'cooldown',
    `Too many wrong passphrases. Try again after ${until.toISOString().slice(11, 16)} UTC.`,
    { attemptsLeft: 0, until: until.toISOString() },
  );
}

export function wrongPassphraseError(attemptsLeft: number): AgentError {
  return new AgentError('wrong_passphrase', 'That passphrase does not unlock this disk.', { attemptsLeft });
}

export function busyError(): AgentError {
  return new AgentError('busy', 'Another key change is running on this disk. Try again in a moment.');
}

export function notNeededError(): AgentError {
  return new AgentError('not_needed', 'A recovery key for this disk is already saved for the server.');
}

export function noFreeSlotError(): AgentError {
  return new AgentError(
    'no_free_slot',
    'All 32 key slots of this disk are in use; remove an unused key first.',
  );
}

/** The server answered and refused the key (anything but "unavailable"): it stays journaled and is sent again. */
export function refusedError(): AgentError {
  return new AgentError(
    'internal',
    'The server did not accept the new key. It stays on this computer and will be sent again.',
  );
}

/** A cryptsetup failure (or anything else) as an AgentError with a clear code; AgentErrors pass through. */
export function toAgentError(e: unknown, device = 'the disk'): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof CryptsetupError) {
    switch (e.kind) {
      case 'missing':
        return new AgentError('cryptsetup_missing', 'cryptsetup is not installed (package cryptsetup-bin).');
      case 'no_device':
        return new AgentError('no_luks_device', `${device} does not exist or cannot be read.`);
      case 'not_luks':
        return new AgentError('no_luks_device', `${device} is not a LUKS2 encrypted disk.`);
      case 'slots_full':
      case 'slot_in_use':
        return new AgentError('no_free_slot', 'No free key slot on this disk.');
      case 'concurrent_update':
        return new AgentError('busy', 'Another program is changing this disk’s keys. Try again in a moment.');
      default:
        return new AgentError('internal', e.message);
    }
  }
  return new AgentError('internal', errorMessage(e));
}
