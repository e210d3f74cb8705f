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
