import type { KeyKind } from '../../ipc/admin/hosts.js';

/**
 * A recovery key as the person types it at the start-up screen: its groups, numbered, and how to type it
 * (pure). LUKS keys are 8 groups of 8 modhex letters (systemd-cryptenroll's format, the dashes are part of
 * the passphrase); BitLocker's recovery password is 8 groups of 6 digits; a FileVault personal recovery
 * key is 6 groups of 4 letters and digits.
 */
export interface KeyLayout {
  kind: KeyKind;
  groups: string[];
  /** The whole key in one line exactly as typed (with its dashes where they are part of it). */
  typed: string;
  /** Where it is typed and how, in plain words. */
  howTo: string[];
}

const MODHEX = /^[cbdefghijklnrtuv]+$/;

export function keyLayout(kind: KeyKind, key: string): KeyLayout {
  const trimmed = key.trim();
  const groups = trimmed.split('-').filter((g) => g !== '');
  switch (kind) {
    case 'luks': {
      const modhex = groups.every((g) => MODHEX.test(g));
      return {
        kind,
        groups,
        typed: groups.join('-'),
        howTo: [
          'Start the computer. When it asks for the passphrase to unlock the disk, type this recovery key instead of your passphrase.',
          'Type the groups in order with a dash (-) between them, then press Enter. Small letters only.',
          ...(modhex
            ? [
                'The key uses only 16 letters (c b d e f g h i j k l n r t u v) that sit on the same keys on QWERTY, QWERTZ and AZERTY keyboards, so it types correctly even when the start-up screen assumes a different keyboard layout than yours.',
              ]
            : []),
          'Nothing appears on the screen while you type. If it is refused, type it again slowly.',
        ],
      };
    }
    case 'bitlocker':
      return {
        kind,
        groups,
        typed: groups.join('-'),
        howTo: [
          'Start the computer. On the blue “BitLocker recovery” screen, type the 48 digits group by group.',
          'The dashes appear by themselves. On some keyboards the number keys do not work there: use the F1–F10 keys instead (F1 is 1, … F10 is 0).',
        ],
      };
    case 'filevault':
      return {
        kind,
        groups,
        typed: groups.join('-'),
        howTo: [
          'Start the Mac. At the login window, click the question mark (or wait), then choose to reset your password with your recovery key.',
          'Type the key in capital letters, with the dashes, exactly as shown.',
        ],
      };
  }
}
