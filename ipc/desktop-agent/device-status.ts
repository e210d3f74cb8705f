import { z } from 'zod';
import { isoTime, text } from '../schema-helpers.js';

/**
 * What the agent knows about this device, pushed to every connected desktop app whenever it changes.
 * Never contains a key or a passphrase: only where the key lives (the slot) and whether it is escrowed.
 */

export const EscrowState = z.enum([
  'escrowed', // the server holds a key that opens this volume
  'uploading', // the key is on the disk and journaled; the server has not acknowledged it yet
  'in_progress', // an escrow is running now
  'action_required', // the user must help (LUKS passphrase, macOS log-out, BitLocker)
  'failed', // the last attempt failed; see message
  'not_required', // the organization does not ask for escrow of this volume
  'unknown', // the agent has not checked yet
]);
export type EscrowState = z.infer<typeof EscrowState>;

export const Volume = z.object({
  id: text(256),
  label: text(256),
  device: text(1024),
  encryption: z.enum(['luks2', 'luks1', 'filevault', 'bitlocker', 'none', 'unknown']),
  encrypted: z.boolean(),
  escrow: z.object({
    state: EscrowState,
    escrowedAt: isoTime.nullable(),
    keySlot: z.number().int().min(0).max(31).nullable(),
    message: text(1000).optional(),
  }),
  /**
   * Windows only: what My Device shows for a BitLocker volume. Added within protocol 1: a desktop that does
   * not know the field drops it.
   */
  bitlocker: z
    .object({
      method: text(64),
      conversion: z.enum([
        'FullyDecrypted',
        'FullyEncrypted',
        'EncryptionInProgress',
        'DecryptionInProgress',
        'EncryptionPaused',
        'DecryptionPaused',
      ]),
      percentEncrypted: z.number().int().min(0).max(100),
      protection: z.enum(['on', 'off', 'unknown']),
    })
    .optional(),
});
export type Volume = z.infer<typeof Volume>;

export const LuksAction = z.object({
  kind: z.literal('luks_passphrase'),
  volumeId: text(256),
  reason: z.enum(['no_key', 'key_removed', 'rotation_requested']),
  cooldownUntil: isoTime.nullable(),
  remindAt: isoTime.nullable(),
});

/**
 * "Set a new disk passphrase": the escrowed recovery key was revealed (`recovery_key_used`: the person may
 * have typed it at the boot prompt because they forgot the passphrase), or a reset that a crash or a
 * queued upload left half done must be finished (`interrupted`: the used key is still on the disk).
 */
export const LuksNewPassphraseAction = z.object({
  kind: z.literal('luks_new_passphrase'),
  volumeId: text(256),
  reason: z.enum(['recovery_key_used', 'interrupted']),
  /** When the key was shown in the portal (null when unknown, e.g. an interrupted reset). */
  usedAt: isoTime.nullable(),
  cooldownUntil: isoTime.nullable(),
});

export const MacLogoutAction = z.object({
  kind: z.literal('macos_logout'),
  deadline: isoTime.nullable(),
  deferralsLeft: z.number().int().min(0).max(100),
  nextPromptAt: isoTime.nullable(),
});

export const BitLockerAction = z.object({
  kind: z.literal('bitlocker'),
  message: text(1000),
});

export const Action = z.discriminatedUnion('kind', [
  LuksAction,
  LuksNewPassphraseAction,
  MacLogoutAction,
  BitLockerAction,
]);
export type Action = z.infer<typeof Action>;

export const ServerConnection = z.object({
  state: z.enum(['connected', 'connecting', 'unreachable', 'not_enrolled']),
  url: text(2048),
  lastContactAt: isoTime.nullable(),
  message: text(1000).optional(),
  /**
   * The server answered and asked this computer to slow down (HTTP 429) until `retryAt`: it is reachable
   * (state `connected`), and a queued key is safe on the disk and is sent then. Added within protocol 1:
   * a desktop that does not know the field drops it and shows `connected`.
   */
  slowDown: z.object({ retryAt: isoTime }).optional(),
});
export type ServerConnection = z.infer<typeof ServerConnection>;

export const DeviceStatus = z.object({
  agentVersion: text(64),
  platform: z.enum(['linux', 'darwin', 'win32']),
  hostname: text(256),
  server: ServerConnection,
  volumes: z.array(Volume).max(32),
  action: Action.nullable(),
  organization: z
    .object({
      name: text(256),
      contactUrl: text(2048),
      /** The IT team's email and phone as the server gave them (optional: older agents do not send them). */
      contactEmail: text(320).optional(),
      contactPhone: text(64).optional(),
    })
    .nullable(),
  /**
   * Whom this computer is linked to (config `linked_user`), for My Device's "Linked to …" or "Link this
   * computer". `linkable`: the server says it can link computers (capability `device_link`); whether it
   * has single sign-on is only known from `link.start`. Absent from older agents.
   */
  account: z
    .object({
      linkedUser: z.object({ email: text(320), name: text(256), linkedAt: isoTime }).nullable(),
      linkable: z.boolean(),
    })
    .nullable()
    .optional(),
  updatedAt: isoTime,
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;
