import { z } from 'zod';
import { isoTime, requestId, text } from '../schema-helpers.js';
import { Action, DeviceStatus } from './device-status.js';
import { IpcErrorBody } from './errors.js';

/**
 * Every message on the desktop ↔ agent socket. Messages from a client are parsed strictly (unknown keys
 * refused): the agent runs as root and treats its clients as untrusted. Messages from the agent are parsed
 * leniently (unknown keys dropped) so an agent may add fields within one protocol version.
 */

// ---- Methods: one entry per request a client can make. Types for both sides come from here. ----

/**
 * The escrow's steps, in order. `checking_passphrase` lasts until the passphrase opened the disk (the
 * Linux agent checks it and adds the new slot in one cryptsetup run); a wrong passphrase ends the flow
 * there. `creating_key` is no longer sent (agents before 0.1 sent it before the check); desktops still
 * accept it from them.
 */
export const ProgressStep = z.enum([
  'checking_passphrase',
  'creating_key',
  'saving_to_disk',
  'verifying',
  'uploading',
  // "Set a new disk passphrase" (luks.setNewPassphrase) also reports these
  'checking_recovery_key',
  'setting_passphrase',
  'removing_old_passphrase',
]);
export type ProgressStep = z.infer<typeof ProgressStep>;

export const EscrowResult = z.object({
  /** queued: the key is on the disk and journaled; the agent keeps retrying the upload until the server acks. */
  outcome: z.enum(['escrowed', 'queued']),
  keySlot: z.number().int().min(0).max(31),
  escrowedAt: isoTime.nullable(),
  /**
   * Why a key is queued (added within protocol 1, absent from older agents): `unreachable` = the server
   * could not be reached; `slow_down` = it answered HTTP 429 and is sent a key again at `retryAt`.
   */
  queuedBecause: z.enum(['unreachable', 'slow_down']).optional(),
  retryAt: isoTime.optional(),
});
export type EscrowResult = z.infer<typeof EscrowResult>;

/**
 * What "Set a new disk passphrase" did. `oldPassphrase`: `removed` = the forgotten passphrase's slot is
 * gone, as the person chose; `kept` = they chose to keep it; `kept_several` = they chose to remove it but
 * more than one slot could be it, so none was removed (never a guess); `none` = no such slot was left.
 * The recovery key part is as in EscrowResult: `queued` means the used key stays until the new one
 * reaches the server, and the agent asks to finish then.
 */
export const PassphraseResetResult = EscrowResult.extend({
  passphraseSlot: z.number().int().min(0).max(31),
  oldPassphrase: z.enum(['removed', 'kept', 'kept_several', 'none']),
});
export type PassphraseResetResult = z.infer<typeof PassphraseResetResult>;

/**
 * The secret frame of luks.setNewPassphrase carries two secrets: the recovery key as typed, one NUL byte,
 * then the new passphrase (UTF-8). A disk passphrase can contain no NUL, and one frame keeps the rule
 * "one secret frame right before its request" of the transport.
 */
export const SECRET_SEPARATOR = 0x00;

/** A link between this computer and its person's work account: the browser page that makes it. */
export const LinkStartResult = z.object({
  /** Absolute URL on the agent's escrow server (same origin as its server URL); open in the system browser. */
  url: text(2048),
  expiresAt: isoTime,
});
export type LinkStartResult = z.infer<typeof LinkStartResult>;

const noParams = z.object({}).strict();

export const Methods = {
  'status.get': { params: noParams, result: DeviceStatus, takesSecret: false },
  /**
   * The user's "create recovery key": a new recovery key for the disk, escrowed (a first key, or the
   * replacement the server asked for). Needs a secret frame (the current LUKS passphrase) sent right before
   * the request.
   */
  'recoveryKey.create': {
    params: z.object({ volumeId: text(256).optional() }).strict(),
    result: EscrowResult,
    takesSecret: true,
  },
  /**
   * "Set a new disk passphrase" after the person unlocked with the recovery key (config
   * `recovery_key_used`, or the tray's "I forgot my disk passphrase"). Secret frame: see SECRET_SEPARATOR.
   * The agent adds the new passphrase with the recovery key, removes the forgotten passphrase's slot only
   * when `removeOldPassphrase` is true, escrows a fresh recovery key, and only then removes the used one.
   */
  'luks.setNewPassphrase': {
    params: z.object({ volumeId: text(256).optional(), removeOldPassphrase: z.boolean() }).strict(),
    result: PassphraseResetResult,
    takesSecret: true,
  },
  /**
   * "Link this computer to your work account": the agent asks its server for a one-time link code and
   * answers with the page to open. No password or token of the person passes through the desktop app.
   */
  'link.start': { params: noParams, result: LinkStartResult, takesSecret: false },
  'luks.remindLater': { params: noParams, result: z.object({ remindAt: isoTime }), takesSecret: false },
  'logout.defer': {
    params: noParams,
    result: z.object({
      deferralsLeft: z.number().int().min(0),
      nextPromptAt: isoTime.nullable(),
      deadline: isoTime.nullable(),
    }),
    takesSecret: false,
  },
} as const;

export type MethodName = keyof typeof Methods;
export const MethodName = z.enum(Object.keys(Methods) as [MethodName, ...MethodName[]]);
export type ParamsOf<M extends MethodName> = z.input<(typeof Methods)[M]['params']>;
export type ResultOf<M extends MethodName> = z.infer<(typeof Methods)[M]['result']>;

// ---- Client → agent ----

export const Hello = z
  .object({
    type: z.literal('hello'),
    protocol: z.number().int().min(0).max(1000),
    client: z.object({ name: z.enum(['desktop', 'escrowctl']), version: text(64) }).strict(),
    /** Per-user token read from a file only that user can read; proves who the peer is (SECURITY.md). */
    token: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict();
export type Hello = z.infer<typeof Hello>;

export const RequestEnvelope = z
  .object({
    type: z.literal('request'),
    id: requestId,
    method: text(64),
    params: z.unknown(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const ClientMessage = z.discriminatedUnion('type', [Hello, RequestEnvelope]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ---- Agent → client ----

export const Peer = z.object({
  uid: z.number().int().nullable(),
  name: text(256),
  mayEscrow: z.boolean(),
});

export const Welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  agentVersion: text(64),
  platform: z.enum(['linux', 'darwin', 'win32']),
  peer: Peer,
});
export type Welcome = z.infer<typeof Welcome>;

export const ResponseOk = z.object({
  type: z.literal('response'),
  id: requestId,
  ok: z.literal(true),
  result: z.unknown(),
});
export const ResponseError = z.object({
  type: z.literal('response'),
  id: requestId,
  ok: z.literal(false),
  error: IpcErrorBody,
});
export const Response = z.discriminatedUnion('ok', [ResponseOk, ResponseError]);
export type Response = z.infer<typeof Response>;

/** A connection-level error (bad frame, failed handshake); the agent closes the connection after it. */
export const ConnectionError = z.object({ type: z.literal('error'), error: IpcErrorBody });
export type ConnectionError = z.infer<typeof ConnectionError>;

export const AgentEvent = z.discriminatedUnion('event', [
  z.object({ type: z.literal('event'), event: z.literal('status'), data: DeviceStatus }),
  z.object({ type: z.literal('event'), event: z.literal('action_required'), data: Action }),
  z.object({
    type: z.literal('event'),
    event: z.literal('progress'),
    data: z.object({ requestId, step: ProgressStep }),
  }),
  z.object({
    type: z.literal('event'),
    event: z.literal('escrow_result'),
    data: z.object({ volumeId: text(256), outcome: z.enum(['escrowed', 'failed']), message: text(1000) }),
  }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentEventName = AgentEvent['event'];

export const AgentMessage = z.union([Welcome, Response, ConnectionError, AgentEvent]);
export type AgentMessage = z.infer<typeof AgentMessage>;
