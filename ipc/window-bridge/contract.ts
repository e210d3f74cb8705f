import { z } from 'zod';
import { DeviceStatus } from '../desktop-agent/device-status.js';
import { ErrorCode } from '../desktop-agent/errors.js';
import { ProgressStep } from '../desktop-agent/messages.js';

/**
 * The renderer ↔ main contract, the one place it is written down. Main and the web harness validate
 * every request with these schemas (a renderer is untrusted: it renders text that came from a server);
 * the preload and the renderer only import the channel names (channels.ts) and the inferred types.
 */

export { Channels } from './channels.js';

export const WindowKind = z.enum(['passphrase', 'my-device', 'logout', 'about', 'new-passphrase']);
export type WindowKind = z.infer<typeof WindowKind>;

/** cryptsetup reads at most 512 characters of an interactive passphrase; more is certainly a mistake. */
export const MAX_PASSPHRASE_LENGTH = 512;

const noArgs = <T extends string>(type: T) => z.object({ type: z.literal(type) }).strict();

export const RendererRequest = z.discriminatedUnion('type', [
  noArgs('getState'),
  /** The user's "Create recovery key", with the disk passphrase that authorises it. */
  z
    .object({
      type: z.literal('createRecoveryKey'),
      passphrase: z.string().min(1).max(MAX_PASSPHRASE_LENGTH),
    })
    .strict(),
  /**
   * "Set a new disk passphrase": the recovery key the person typed at boot, the new passphrase, and their
   * choice about the forgotten passphrase's slot. The key is normalised by the agent (spaces, dashes, case).
   */
  z
    .object({
      type: z.literal('setNewPassphrase'),
      recoveryKey: z.string().min(1).max(256),
      passphrase: z.string().min(1).max(MAX_PASSPHRASE_LENGTH),
      removeOldPassphrase: z.boolean(),
    })
    .strict(),
  /** My Device's "Link this computer to your work account": main opens the server's page in the browser. */
  noArgs('linkComputer'),
  noArgs('remindLater'),
  noArgs('deferLogout'),
  noArgs('logOutNow'),
  z.object({ type: z.literal('openWindow'), kind: WindowKind }).strict(),
  noArgs('openContact'),
  noArgs('close'),
]);
export type RendererRequest = z.infer<typeof RendererRequest>;
export type RendererRequestType = RendererRequest['type'];

/** Errors the desktop itself produces, beside the agent's own codes. */
export const DesktopErrorCode = z.enum([
  'agent_unavailable',
  'timeout',
  'connection_closed',
  'invalid_request',
  'not_allowed_now',
  'automation_denied',
  'logout_failed',
]);

export const UiError = z.object({
  code: z.union([ErrorCode, DesktopErrorCode]),
  message: z.string().max(1000),
  attemptsLeft: z.number().int().min(0).optional(),
  until: z.string().optional(),
});
export type UiError = z.infer<typeof UiError>;

export const PassphraseFlow = z.object({
  phase: z.enum(['idle', 'submitting', 'success', 'error', 'cooldown']),
  step: ProgressStep.nullable(),
  error: UiError.nullable(),
  /** While a cool-down runs the dialog refuses input and says until when. */
  cooldownUntil: z.string().nullable(),
  result: z
    .object({
      outcome: z.enum(['escrowed', 'queued']),
      keySlot: z.number().int(),
      escrowedAt: z.string().nullable(),
    })
    .nullable(),
  remindAt: z.string().nullable(),
});
export type PassphraseFlow = z.infer<typeof PassphraseFlow>;

/** The "Set a new disk passphrase" dialog: what it shows (no secret is ever part of the state). */
export const NewPassphraseFlow = z.object({
  phase: z.enum(['idle', 'submitting', 'success', 'error']),
  step: ProgressStep.nullable(),
  error: UiError.nullable(),
  result: z
    .object({
      outcome: z.enum(['escrowed', 'queued']),
      oldPassphrase: z.enum(['removed', 'kept', 'kept_several', 'none']),
    })
    .nullable(),
});
export type NewPassphraseFlow = z.infer<typeof NewPassphraseFlow>;

/** My Device's link button: `opened` = the browser shows the server's page (until `expiresAt`). */
export const LinkFlow = z.object({
  phase: z.enum(['idle', 'opening', 'opened', 'error']),
  error: UiError.nullable(),
  expiresAt: z.string().nullable(),
});
export type LinkFlow = z.infer<typeof LinkFlow>;

export const LogoutFlow = z.object({
  deadline: z.string().nullable(),
  deferralsLeft: z.number().int().min(0),
  nextPromptAt: z.string().nullable(),
  /** The deadline has passed: the prompt stays in front and cannot be deferred. */
  overdue: z.boolean(),
  canDefer: z.boolean(),
  phase: z.enum(['idle', 'logging_out', 'error']),
  error: UiError.nullable(),
});
export type LogoutFlow = z.infer<typeof LogoutFlow>;

export const UiState = z.object({
  app: z.object({ version: z.string(), platform: z.enum(['linux', 'darwin', 'win32']) }),
  connection: z.object({
    state: z.enum(['connecting', 'connected', 'agent_unavailable']),
    message: z.string().nullable(),
  }),
  status: DeviceStatus.nullable(),
  passphrase: PassphraseFlow,
  logout: LogoutFlow.nullable(),
  newPassphrase: NewPassphraseFlow,
  link: LinkFlow,
});
export type UiState = z.infer<typeof UiState>;

export const RendererResponse = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), state: UiState }),
  z.object({ ok: z.literal(false), error: UiError }),
]);
export type RendererResponse = z.infer<typeof RendererResponse>;

/** What the preload exposes as `window.escrow` (and the web harness's bridge script, identically). */
export interface EscrowApi {
  getState(): Promise<RendererResponse>;
  /** Listens for pushed state; returns the function that stops listening. */
  subscribe(listener: (state: UiState) => void): () => void;
  /** Creates the recovery key; `passphrase` is the disk passphrase that allows adding it. */
  createRecoveryKey(passphrase: string): Promise<RendererResponse>;
  /** "Set a new disk passphrase" with the recovery key used at boot; strings cross to main once. */
  setNewPassphrase(
    recoveryKey: string,
    passphrase: string,
    removeOldPassphrase: boolean,
  ): Promise<RendererResponse>;
  /** Opens the server's link page in the system browser (no password or token passes through the app). */
  linkComputer(): Promise<RendererResponse>;
  remindLater(): Promise<RendererResponse>;
  deferLogout(): Promise<RendererResponse>;
  logOutNow(): Promise<RendererResponse>;
  /** Asks main to open (or raise) a window; main decides whether it makes sense now. */
  openWindow(kind: WindowKind): Promise<RendererResponse>;
  openContact(): Promise<RendererResponse>;
  close(): Promise<RendererResponse>;
}
