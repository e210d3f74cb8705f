import { z } from 'zod';
import { text } from '../schema-helpers.js';

/**
 * The agent ↔ escrow-server contract (Fleet's "orbit" API shape: every call is a JSON POST carrying the
 * node key in the body). Wire names are Fleet's wherever Fleet has the same concept; fields Fleet does not
 * have are ours and documented here. The agent and the server both import this file, so a change here is a
 * protocol change.
 *
 * Objects strip unknown keys instead of rejecting them: a newer agent may send a field an older server does
 * not know yet, and that must not break escrow.
 */

export const AGENT_API_PATHS = {
  enroll: '/api/fleet/orbit/enroll',
  config: '/api/fleet/orbit/config',
  diskEncryptionStatus: '/api/fleet/orbit/disk_encryption_status',
  luksData: '/api/fleet/orbit/luks_data',
  diskEncryptionKey: '/api/fleet/orbit/disk_encryption_key',
  filevaultPrk: '/api/fleet/orbit/filevault_prk',
} as const;

/**
 * Fleet's response header on orbit endpoints listing, comma-separated, what the server supports; an agent
 * uses a feature only when its server lists it.
 */
export const CAPABILITIES_HEADER = 'X-Fleet-Capabilities';
export const Capability = z.enum([
  /** Fleet's: the server has the orbit agent API. */
  'orbit_endpoints',
  /** Ours: POST config accepts `wait_for_change` (long-poll until the config version changes). */
  'config_wait_for_change',
]);
export type Capability = z.infer<typeof Capability>;
export const SERVER_CAPABILITIES: readonly Capability[] = Capability.options;

/** Longest wait the server holds a config long-poll; below common proxy idle timeouts (60 s). */
export const MAX_WAIT_SECONDS = 55;

/** Upper bound for a base64 CMS envelope: a 3072-bit RSA recipient plus a short key is about 700 bytes. */
const MAX_ENVELOPE_BASE64 = 64 * 1024;

/** Upper bound for the escrow certificate's PEM in a config answer (an RSA-3072 certificate is ~1.7 kB). */
const MAX_CERTIFICATE_PEM = 64 * 1024;

const NodeKey = text(256).min(1, 'orbit_node_key is required');
const ShortText = text(256);

export const Platform = z.enum(['linux', 'darwin', 'windows']);
export type Platform = z.infer<typeof Platform>;

export const ErrorResponse = z.object({
  error: text(),
  details: z.array(z.object({ path: text(), message: text() })).optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

// --- enroll -------------------------------------------------------------------------------------------

export const EnrollRequest = z.object({
  enroll_secret: text(256).min(1, 'enroll_secret is required'),
  hardware_uuid: text(128).min(1, 'hardware_uuid is required'),
  hardware_serial: ShortText,
  hostname: ShortText,
  platform: Platform,
  os_version: ShortText,
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.object({ orbit_node_key: text(256) });
export type EnrollResponse = z.infer<typeof EnrollResponse>;

// --- config (with our long-poll extension) ------------------------------------------------------------

export const ConfigRequest = z.object({
  orbit_node_key: NodeKey,
  /**
   * Ours. When present, the server holds the request until this host's config version differs from
   * `after_version` or `timeout_seconds` pass, then answers with the current config either way.
   */
  wait_for_change: z
    .object({
      after_version: text(64),
      timeout_seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS),
    })
    .optional(),
});
export type ConfigRequest = z.infer<typeof ConfigRequest>;

export const Notifications = z.object({
  run_disk_encryption_escrow: z.boolean(),
  rotate_disk_encryption_key: z.boolean(),
  enforce_bitlocker_encryption: z.boolean(),
});
export type Notifications = z.infer<typeof Notifications>;

export const ConfigResponse = z.object({
  /** Ours: opaque; changes whenever anything in this response changes for this host. */
  config_version: text(256),
  notifications: Notifications,
  /** Ours: PEM of the current escrow certificate; agents encrypt new keys to it. */
  escrow_certificate: text(MAX_CERTIFICATE_PEM),
  org_info: z.object({ org_name: text(), contact_url: text() }),
  /** Ours: the team's disk-encryption policy for this host. */
  disk_encryption: z.object({
    enabled: z.boolean(),
    logout_deadline: z.iso.datetime().optional(),
    max_deferrals: z.number().int().min(0).optional(),
  }),
});
export type ConfigResponse = z.infer<typeof ConfigResponse>;

// --- disk_encryption_status (ours) --------------------------------------------------------------------

export const LuksTokenState = z.enum(['none', 'pending', 'escrowed']);
export type LuksTokenState = z.infer<typeof LuksTokenState>;

export const DiskEncryptionStatusRequest = z.object({
  orbit_node_key: NodeKey,
  platform: Platform,
  boot_volume_encrypted: z.boolean(),
  luks: z
    .object({
      device: ShortText,
      uuid: ShortText,
      key_slot: z.number().int().min(0).max(31).nullable(),
      salt: text(1024).nullable(),
      token_state: LuksTokenState,
    })
    .optional(),
  bitlocker: z
    .object({
      conversion_status: ShortText,
      protection_status: z.number().int(),
    })
    .optional(),
  filevault: z
    .object({
      enabled: z.boolean(),
      has_personal_recovery_key: z.boolean(),
    })
    .optional(),
  agent_version: ShortText,
  client_error: text(4096).optional(),
});
export type DiskEncryptionStatusRequest = z.infer<typeof DiskEncryptionStatusRequest>;

// --- key submissions ----------------------------------------------------------------------------------

const Envelope = text(MAX_ENVELOPE_BASE64, 'base64_encrypted is too large').regex(
  /^[A-Za-z0-9+/]*={0,2}$/,
  'base64_encrypted must be standard base64 (no line breaks)',
);
const ClientError = text(4096);

/**
 * Fleet sends `passphrase`; we send `base64_encrypted` (the key encrypted by the agent to the escrow
 * certificate: CMS EnvelopedData, DER, base64), so the server never receives a key in clear.
 * With a non-empty `client_error` the other key fields may be omitted.
 */
export const LuksDataRequest = z
  .object({
    orbit_node_key: NodeKey,
    key_slot: z.number().int().min(0).max(31).optional(),
    salt: text(1024).optional(),
    base64_encrypted: Envelope.optional(),
    client_error: ClientError,
    /** Ours: the agent's id for this escrow attempt; a retry with the same id stores the key once. */
    escrow_id: z.uuid().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.client_error !== '') return;
    if (v.key_slot === undefined || !v.salt || !v.base64_encrypted) {
      ctx.addIssue({
        code: 'custom',
        message: 'base64_encrypted, salt, and key_slot must be provided to escrow LUKS data',
      });
    }
  });
export type LuksDataRequest = z.infer<typeof LuksDataRequest>;

/** A report that carries one encrypted key, or only an error: the key is required when there is no error. */
function envelopeReport(what: string) {
  return z
    .object({
      orbit_node_key: NodeKey,
      base64_encrypted: Envelope.optional(),
      client_error: ClientError,
    })
    .superRefine((v, ctx) => {
      if (v.client_error === '' && !v.base64_encrypted) {
        ctx.addIssue({ code: 'custom', message: `base64_encrypted must be provided to escrow ${what}` });
      }
    });
}

/** BitLocker recovery password, same envelope. Fleet calls the field `encryption_key`; ours is encrypted. */
export const DiskEncryptionKeyRequest = envelopeReport('a BitLocker key');
export type DiskEncryptionKeyRequest = z.infer<typeof DiskEncryptionKeyRequest>;

/** macOS: the /var/db/FileVaultPRK.dat bytes exactly as macOS wrote them (CMS, PKCS#1 v1.5), base64. */
export const FileVaultPrkRequest = envelopeReport('a FileVault PRK');
export type FileVaultPrkRequest = z.infer<typeof FileVaultPrkRequest>;
