import { z } from 'zod';
import { Platform } from '../agent-server/orbit-api.js';
import { text } from '../schema-helpers.js';
import {
  Cursor,
  Id,
  IsoTime,
  MAX_PAGE_OFFSET,
  MAX_QUERY_LENGTH,
  MAX_REASON_LENGTH,
  PageMeta,
  PerPage,
  QueryBool,
  TeamIdQuery,
} from './common.js';
import { HostLinkedUser } from './self-service.js';

/** Hosts: list, search, export, one host's page, its timeline, and revealing its keys. */

/** Fleet's disk-encryption statuses, same names. */
export const DISK_ENCRYPTION_STATUSES = [
  'verified',
  'verifying',
  'action_required',
  'enforcing',
  'failed',
  'removing_enforcement',
] as const;
export const DiskEncryptionStatus = z.enum(DISK_ENCRYPTION_STATUSES);
export type DiskEncryptionStatus = z.infer<typeof DiskEncryptionStatus>;
/** A host whose team does not manage disk encryption has status null; filters and charts call it this. */
export const UNMANAGED = 'unmanaged';
export const StatusFilter = z.enum([...DISK_ENCRYPTION_STATUSES, UNMANAGED]);
export type StatusFilter = z.infer<typeof StatusFilter>;

export { Platform };

/** What kind of key a host escrows, so the console shows it grouped as typed. */
export const KeyKind = z.enum(['luks', 'filevault', 'bitlocker']);
export type KeyKind = z.infer<typeof KeyKind>;

export const HOST_ORDER_KEYS = [
  'id',
  'hostname',
  'hardware_serial',
  'seen_time',
  'last_enrolled_at',
  'platform',
  'status',
] as const;
export const HostOrderKey = z.enum(HOST_ORDER_KEYS);
export type HostOrderKey = z.infer<typeof HostOrderKey>;

/** Search and filters, shared by the list, the count and the CSV export. */
export const HostFilterQuery = z.object({
  /**
   * One search over hostname, hardware serial, hardware UUID and logged-in user (substring, any case).
   * Over MAX_QUERY_LENGTH characters → 400 `query_too_long`.
   */
  query: text(MAX_QUERY_LENGTH, `query must be at most ${MAX_QUERY_LENGTH} characters`).trim().optional(),
  status: StatusFilter.optional(),
  /** Fleet's name for the same filter. */
  os_settings_disk_encryption: StatusFilter.optional(),
  platform: Platform.optional(),
  team_id: TeamIdQuery.optional(),
  order_key: HostOrderKey.default('id'),
  order_direction: z.enum(['asc', 'desc']).default('asc'),
});

/**
 * Paging: keyset (`cursor` = the previous answer's `next_cursor`) for any depth; Fleet's `page` (0-based)
 * only while page × per_page ≤ MAX_PAGE_OFFSET. Not both.
 */
export const HostListQuery = HostFilterQuery.extend({
  per_page: PerPage,
  page: z.coerce.number().int().min(0).optional(),
  cursor: Cursor.optional(),
}).superRefine((q, ctx) => {
  if (q.page !== undefined && q.cursor !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['page'], message: 'send page or cursor, not both' });
  }
  if (q.page !== undefined && q.page * q.per_page > MAX_PAGE_OFFSET) {
    ctx.addIssue({
      code: 'custom',
      path: ['page'],
      message: `page × per_page must be at most ${MAX_PAGE_OFFSET}; follow next_cursor to go further`,
    });
  }
});
export type HostListQuery = z.infer<typeof HostListQuery>;

export const HostIdentifierParams = z.object({ identifier: text(MAX_QUERY_LENGTH).min(1) });

const KeyState = z.object({
  escrowed: z.boolean(),
  decryptable: z.boolean().nullable(),
  key_slot: z.number().int().nullable(),
  updated_at: IsoTime,
  client_error: text(),
});

/** A host in lists. Field names follow Fleet's host object where Fleet has the concept. */
export const HostSummary = z.object({
  id: z.number().int(),
  hostname: text(),
  display_name: text(),
  hardware_serial: text(),
  uuid: text(),
  platform: Platform,
  os_version: text(),
  team_id: z.number().int().nullable(),
  team_name: text().nullable(),
  /**
   * The last person the agent reported logged in at the screen (kept while nobody is logged in); null until
   * an agent reports one.
   */
  logged_in_user: text().nullable(),
  /**
   * How often the user postponed the log-out the agent is asking for now (macOS: FileVault writes a new
   * recovery key at the next login); null when no log-out is asked for.
   */
  logout_deferrals: z.number().int().nullable(),
  last_enrolled_at: IsoTime,
  seen_time: IsoTime,
  disk_encryption_enabled: z.boolean(),
  /** Fleet's place for the status; `detail` says why in plain words. */
  mdm: z.object({
    os_settings: z.object({
      disk_encryption: z.object({ status: DiskEncryptionStatus.nullable(), detail: text() }),
    }),
  }),
  key_kind: KeyKind,
  disk_encryption_key: KeyState.nullable(),
  /** The agent's last disk-encryption report, as it sent it (minus its node key). */
  reported_status: z.unknown().nullable(),
  /** The person this computer is linked to (link page, admin, CSV import), or null. */
  linked_user: HostLinkedUser.nullable(),
});
export type HostSummary = z.infer<typeof HostSummary>;

export const HostListResponse = z.object({
  hosts: z.array(HostSummary),
  /** null on the last page. */
  next_cursor: text().nullable(),
  meta: PageMeta,
});
export const HostCountResponse = z.object({ count: z.number().int() });

/** One disk as the host page shows it, read from the agent's last report. */
export const Volume = z.object({
  kind: KeyKind,
  device: text().nullable(),
  encrypted: z.boolean(),
  /** Plain words: "our key slot 1 is escrowed", "BitLocker protection is off". */
  detail: text(),
});

/** Why a host needs someone to look at it, in plain words, with a stable code. */
export const AttentionReasonCode = z.enum([
  'key_does_not_open_disk',
  'key_not_decryptable',
  'escrow_error',
  'no_key_escrowed',
  'boot_volume_not_encrypted',
  'filevault_off',
  'bitlocker_off',
  'logout_postponed',
  'deadline_passed',
  'not_seen_recently',
  'rotation_pending',
]);
export const AttentionReason = z.object({ code: AttentionReasonCode, text: text() });
export type AttentionReason = z.infer<typeof AttentionReason>;

export const HostDetails = HostSummary.extend({
  volumes: z.array(Volume),
  rotate_requested: z.boolean(),
  /**
   * Set when the linked person revealed the current key in the self-service portal: the host was told to
   * replace it (orbit config `recovery_key_used`); null again once a newer key is escrowed.
   */
  recovery_key_used: z.object({ used_at: IsoTime, shown_to: text() }).nullable(),
  needs_attention: z.array(AttentionReason),
  archived_key_count: z.number().int(),
  policy: z.object({
    reason_required: z.boolean(),
    rotate_after_reveal: z.boolean(),
    logout_deadline: IsoTime.nullable(),
    max_deferrals: z.number().int().nullable(),
  }),
});
export type HostDetails = z.infer<typeof HostDetails>;
export const HostResponse = z.object({ host: HostDetails });

export const NeedsAttentionQuery = z.object({
  team_id: TeamIdQuery.optional(),
  per_page: PerPage,
  cursor: Cursor.optional(),
});
export const NeedsAttentionResponse = z.object({
  hosts: z.array(z.object({ host: HostSummary, reasons: z.array(AttentionReason) })),
  next_cursor: text().nullable(),
  meta: PageMeta,
});

// --- archived keys and revealing keys ---------------------------------------------------------------------

export const ArchiveReason = z.enum([
  'replaced',
  're_enrolled',
  'encryption_disabled',
  'team_changed',
  'merged',
]);

/** Metadata only; the key itself comes only from a reveal. */
export const ArchivedKeyMeta = z.object({
  id: z.number().int(),
  kind: KeyKind,
  key_slot: z.number().int().nullable(),
  hardware_serial: text(),
  reason: ArchiveReason,
  decryptable: z.boolean().nullable(),
  created_at: IsoTime,
  archived_at: IsoTime,
});
export const ArchivedKeysResponse = z.object({
  host_id: z.number().int(),
  archived_keys: z.array(ArchivedKeyMeta),
});

const Reason = text(MAX_REASON_LENGTH).trim().min(1, 'reason must not be empty');

/**
 * `GET /hosts/{id}/encryption_key?reason=…&rotate_after=true` (Fleet's path; for API tokens) or
 * `POST /hosts/{id}/encryption_key` with this body (the console). The reason is required unless the host's
 * team has `reason_required: false` (→ 400 `reason_required`); it is kept in the activity. `rotate_after`
 * asks the host for a new key once this one was shown; a team with `rotate_after_reveal` always does.
 */
export const RevealQuery = z.object({ reason: Reason.optional(), rotate_after: QueryBool.optional() });
export const RevealRequest = z.object({ reason: Reason.optional(), rotate_after: z.boolean().optional() });
export type RevealRequest = z.infer<typeof RevealRequest>;

export const RevealResponse = z.object({
  host_id: z.number().int(),
  encryption_key: z.object({ key: text(), kind: KeyKind, updated_at: IsoTime }),
  /** Whether the host was asked for a new key because of this reveal. */
  rotation_requested: z.boolean(),
});
export type RevealResponse = z.infer<typeof RevealResponse>;

/**
 * Archived keys: `GET /hosts/{id}/archived_encryption_keys?reason=…` (all of them) or
 * `POST /hosts/{id}/archived_encryption_keys` with this body (all, or one by `archived_key_id`).
 */
export const RevealArchivedQuery = z.object({ reason: Reason.optional() });
export const RevealArchivedRequest = z.object({ reason: Reason.optional(), archived_key_id: Id.optional() });
export const RevealArchivedResponse = z.object({
  host_id: z.number().int(),
  archived_keys: z.array(ArchivedKeyMeta.extend({ key: text().nullable() })),
});

/** Columns of `GET /hosts/report?format=csv`, in order. */
export const HOST_CSV_COLUMNS = [
  'id',
  'hostname',
  'hardware_serial',
  'uuid',
  'platform',
  'os_version',
  'team_id',
  'team_name',
  'logged_in_user',
  'disk_encryption_status',
  'disk_encryption_detail',
  'key_escrowed',
  'key_decryptable',
  'last_enrolled_at',
  'seen_time',
] as const;
