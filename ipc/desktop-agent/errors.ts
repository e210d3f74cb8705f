import { z } from 'zod';

/**
 * Every error the agent can return to a desktop app or escrowctl. The code is for programs; the message
 * (written by the agent, in plain words) is for people. Keep codes stable: scripts match on them.
 */
export const ErrorCode = z.enum([
  // Transport and protocol
  'bad_frame', // not a valid length-prefixed frame or not UTF-8 JSON
  'frame_too_large',
  'too_deep', // JSON nested deeper than the limit
  'invalid_message', // JSON that does not match any schema
  'unknown_method',
  'protocol_mismatch', // desktop and agent speak different protocol versions
  'handshake_required', // a request before hello
  'not_permitted', // the peer may not do this (not root, no active session, not --allow-user)
  // Escrow flow
  'wrong_passphrase', // details.attemptsLeft
  'cooldown', // details.until (ISO time): too many wrong attempts
  'invalid_passphrase', // e.g. contains a newline, empty, too long
  'busy', // another escrow is running on this device
  'no_free_slot', // all 32 LUKS2 keyslots are used
  'no_luks_device', // no LUKS2 device behind / (or --luks-device is not LUKS2)
  'unsupported_luks', // LUKS1 or a cryptsetup older than 2.4
  'cryptsetup_missing',
  'not_needed', // nothing to do: the key is already escrowed and the server did not ask
  'wrong_recovery_key', // details.attemptsLeft; counts against the same limit as wrong passphrases
  'invalid_recovery_key', // not the shape of a recovery key (64 letters of cbdefghijklnrtuv)
  'link_unavailable', // the server has no single sign-on, or this computer is already linked
  'server_unreachable', // the request needs the server now and it cannot be reached
  'unsupported_platform',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorDetails = z
  .object({
    attemptsLeft: z.number().int().min(0).max(100).optional(),
    until: z.iso.datetime().optional(),
    expectedProtocol: z.number().int().optional(),
  })
  .strict();
export type ErrorDetails = z.infer<typeof ErrorDetails>;

export const IpcErrorBody = z
  .object({
    code: ErrorCode,
    message: z.string().max(1000),
    details: ErrorDetails.optional(),
  })
  .strict();
export type IpcErrorBody = z.infer<typeof IpcErrorBody>;

/** Thrown inside the agent; the IPC server turns it into an error response with the same code. */
export class AgentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'AgentError';
  }

  toBody(): IpcErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}
