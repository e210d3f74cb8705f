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
  /** Ours: a one-time code that links this computer to a person (see LinkCodeRequest). */
  linkCode: '/api/fleet/orbit/link_code',
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
  /**
   * Ours: `POST link_code` exists and the config carries `linked_user` and `recovery_key_used`. Whether the
   * server can complete a link (single sign-on set up) is the answer to `link_code` itself (404 when not).
   */
  'device_link',
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

/**
 * Ours: the agent's proof that it is the computer that first enrolled this hardware UUID (an Ed25519 key it
 * made then; host-identity-proof.ts). Without a valid proof, an enrollment claiming a UUID the server knows
 * becomes a separate pending host and never touches the known host (issue 18, finding 2).
 */
export const HostIdentityClaim = z.object({
  /** The agent's Ed25519 public key, DER (SPKI) in base64: 44 bytes, 60 characters. */
  public_key: text(128).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'public_key must be base64'),
  signed_at: z.iso.datetime(),
  /** Ed25519 signature (64 bytes) of hostIdentityProofMessage, base64. */
  signature: text(128).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'signature must be base64'),
});
export type HostIdentityClaim = z.infer<typeof HostIdentityClaim>;

/**
 * osquery's platform names that are Linux, as Fleet lists them (server/fleet/hosts.go, HostLinuxOSs): Fleet's
 * own agents enroll with these, not with "linux". Any other name counts as Linux when its `platform_like`
 * (os-release ID_LIKE, e.g. "rhel fedora") names one of them.
 */
export const LINUX_PLATFORM_NAMES = [
  'linux',
  'ubuntu',
  'debian',
  'rhel',
  'centos',
  'fedora',
  'sles',
  'kali',
  'gentoo',
  'amzn',
  'pop',
  'arch',
  'linuxmint',
  'void',
  'nixos',
  'endeavouros',
  'manjaro',
  'opensuse-leap',
  'opensuse-tumbleweed',
  'tuxedo',
  'neon',
  'archarm',
  'rocky',
  'almalinux',
  'ol',
  'opensuse',
  'suse',
] as const;
const LINUX_NAMES: ReadonlySet<string> = new Set(LINUX_PLATFORM_NAMES);

/** Our platform for an osquery platform name (and its platform_like), or null when it is none of ours. */
export function platformOf(name: string, platformLike = ''): Platform | null {
  const n = name.trim().toLowerCase();
  if (n === 'darwin' || n === 'windows') return n;
  if (LINUX_NAMES.has(n)) return 'linux';
  return platformLike
    .toLowerCase()
    .split(/[\s,]+/)
    .some((like) => LINUX_NAMES.has(like))
    ? 'linux'
    : null;
}

/**
 * Our agent sends `platform` as linux|darwin|windows with `os_version`; Fleet's (orbit) sends osquery's
 * name (`ubuntu`, `rhel`, …), maybe `platform_like`, no `os_version`, and a few fields we do not keep
 * (`osquery_identifier`, `computer_name`, `hardware_model`: dropped). Both enroll. The name is kept for
 * display as the OS version when none is sent ("ubuntu"), so the admin still sees which Linux it is.
 */
export const EnrollRequest = z
  .object({
    enroll_secret: text(256).min(1, 'enroll_secret is required'),
    hardware_uuid: text(128).min(1, 'hardware_uuid is required'),
    hardware_serial: ShortText,
    hostname: ShortText,
    platform: text(64),
    platform_like: text(256).optional(),
    os_version: ShortText.optional(),
    /** Ours; optional so that agents from before it still enroll (their re-enrollments become pending). */
    host_identity: HostIdentityClaim.optional(),
  })
  .transform(({ platform_like, ...v }, ctx) => {
    const platform = platformOf(v.platform, platform_like);
    if (platform === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['platform'],
        message: `"${v.platform}" is not a platform we escrow for: expected darwin, windows or a Linux (linux, ubuntu, debian, rhel, fedora, arch, … or a platform_like naming one)`,
      });
      return z.NEVER;
    }
    const osVersion = v.os_version?.trim() || (platform === v.platform ? '' : v.platform.trim());
    return { ...v, platform, os_version: osVersion };
  });
/** What our agent sends (the input: a platform name, os_version given). */
export type EnrollRequest = z.input<typeof EnrollRequest> & { platform: Platform; os_version: string };

export const EnrollResponse = z.object({
  orbit_node_key: text(256),
  /**
   * Ours: true when this enrollment claimed a hardware UUID another host holds without proving it owns it.
   * The agent got a host of its own (it can escrow there) that an admin merges with the known one.
   */
  pending_merge: z.boolean().optional(),
});
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

export const LinkedUser = z.object({
  email: text(),
  /** The person's name as their identity provider gave it ('' when it gave none). */
  name: text(),
  linked_at: z.iso.datetime(),
});
export type LinkedUser = z.infer<typeof LinkedUser>;

export const RecoveryKeyUsed = z.object({
  /** When the key was shown (UTC). */
  used_at: z.iso.datetime(),
  /**
   * Who saw it: `owner` (the linked person, in the self-service portal) is the only value today. A string,
   * not an enum, so that a value added later does not make an older agent reject the whole config.
   */
  shown_to: text(),
});
export type RecoveryKeyUsed = z.infer<typeof RecoveryKeyUsed>;

export const ConfigResponse = z.object({
  /** Ours: opaque; changes whenever anything in this response changes for this host. */
  config_version: text(256),
  notifications: Notifications,
  /** Ours: PEM of the current escrow certificate; agents encrypt new keys to it. */
  escrow_certificate: text(MAX_CERTIFICATE_PEM),
  org_info: z.object({
    org_name: text(),
    contact_url: text(),
    /** Ours: the IT team's email and phone for the desktop's My Device page ('' when not set; absent from older servers). */
    contact_email: text().optional(),
    contact_phone: text().optional(),
  }),
  /** Ours: the team's disk-encryption policy for this host. */
  disk_encryption: z.object({
    enabled: z.boolean(),
    logout_deadline: z.iso.datetime().optional(),
    max_deferrals: z.number().int().min(0).optional(),
  }),
  /**
   * Ours: the person this computer is linked to (through the link page, by an admin or by a CSV import),
   * or null. The desktop app shows it ("linked to …") and offers "Link to me" while it is null. Optional in
   * the schema only so that a newer agent still reads an older server's config (absent = unknown).
   */
  linked_user: LinkedUser.nullable().optional(),
  /**
   * Ours: the escrowed recovery key was shown to its owner in the self-service portal after it was escrowed, so it must be treated as known. While this is non-null the agent must
   * replace the key at its next contact: on Linux add and escrow a new recovery key and then remove the
   * used slot (the person may have typed the key at the boot prompt because they forgot their passphrase,
   * so the desktop offers "Set a new disk passphrase" first); on macOS / Windows rotate as for
   * `notifications.rotate_disk_encryption_key`, which is also true meanwhile. The server clears it by
   * itself once a newer key is escrowed: it is null again in the config that follows the upload.
   */
  recovery_key_used: RecoveryKeyUsed.nullable().optional(),
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
      /**
       * Ours: the key protector whose recovery password the server holds, as the agent found it on the
       * volume at this report (its first 8 hex digits are the "Recovery key ID" on BitLocker's recovery
       * screen, which tells an admin which key to read out); null when the volume has none of ours.
       */
      escrowed_protector_id: text(64).nullable().optional(),
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
  /**
   * Ours: the local account of the person at the screen (on Linux the active local session's user, on
   * macOS the owner of the console); null when nobody is logged in. The server keeps the last person it
   * was told about, so the helpdesk finds a laptop by its user's name while the user is logged out.
   * Absent from agents older than this field.
   */
  logged_in_user: text(256).nullable().optional(),
  /**
   * Ours (macOS): how often the person postponed ("Later") the log-out the agent is asking for now, so
   * that FileVault writes a new recovery key; null when no log-out is being asked for. The admin console
   * names a host whose user keeps postponing.
   */
  logout_deferrals: z.number().int().min(0).max(1_000_000).nullable().optional(),
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

// --- link_code (ours) ---------------------------------------------------------------------------------

/**
 * `POST link_code` (authenticated by the node key like every orbit call): a one-time code that links this
 * computer to the person who opens it. The desktop app opens the system browser at the agent's server URL
 * + `link_path`; the person signs in there with the organisation's single sign-on and confirms the
 * computer's name. No password or token of the person ever passes through the agent or the desktop app.
 *
 * The code is valid for `expires_in_seconds` (10 minutes), works once, and is stored only as a digest;
 * asking again replaces the previous code of this computer. Answers: 200 with this body; 401 unknown node
 * key; 404 `{error}` when the server has no single sign-on configured (linking is impossible there);
 * 409 `{error}` when the computer is already linked (an admin unlinks it first); 429 with Retry-After.
 */
export const LinkCodeRequest = z.object({ orbit_node_key: NodeKey });
export type LinkCodeRequest = z.infer<typeof LinkCodeRequest>;

export const LinkCodeResponse = z.object({
  code: text(),
  /** Path and query on the server to open in the browser: `/link?code=…`. */
  link_path: text(),
  expires_at: z.iso.datetime(),
  expires_in_seconds: z.number().int(),
});
export type LinkCodeResponse = z.infer<typeof LinkCodeResponse>;

/** How long a link code lives. */
export const LINK_CODE_TTL_SECONDS = 600;
