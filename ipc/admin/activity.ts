import { z } from 'zod';
import { Platform } from '../agent-server/orbit-api.js';
import { text } from '../schema-helpers.js';
import { Cursor, Id, IsoTime, IsoTimeQuery, PageMeta, PerPage, TeamIdQuery } from './common.js';
import { DiskEncryptionStatus, StatusFilter } from './hosts.js';

/** The activity log (admin actions and host events in one table) and the dashboard. */

/** Types written today; new ones may appear (the log is append-only), so treat unknown ones as text. */
export const ACTIVITY_TYPES = [
  // people and tokens
  'signed_in',
  'signed_out',
  'signed_out_everywhere',
  'created_user',
  'edited_user',
  'deleted_user',
  'revoked_user_sessions',
  'created_api_token',
  'revoked_api_token',
  'edited_org_info',
  // teams and policy
  'created_team',
  'edited_team',
  'enabled_disk_encryption',
  'disabled_disk_encryption',
  'transferred_hosts',
  // keys, by people
  'read_host_disk_encryption_key',
  'read_host_archived_disk_encryption_keys',
  'requested_disk_encryption_key_rotation',
  // host events (timeline)
  'host_enrolled',
  'host_re_enrolled',
  'host_claimed_without_proof',
  'merged_pending_host',
  'host_team_changed',
  'disk_encryption_status_changed',
  'key_escrowed',
  'key_verified',
  'key_not_decryptable',
  'escrow_failed',
  'key_changed_on_host',
  // single sign-on, people linked to computers, self-service
  'signed_in_break_glass',
  'linked_host',
  'unlinked_host',
  'imported_host_links',
  'edited_self_service_policy',
  'self_service_read_disk_encryption_key',
] as const;
export const ActivityType = z.enum(ACTIVITY_TYPES);
export type ActivityType = z.infer<typeof ActivityType>;

export const ActorKind = z.enum(['user', 'api_token', 'host', 'system']);

export const Activity = z.object({
  id: z.number().int(),
  created_at: IsoTime,
  /** A person's email, an API token's name and id, a hostname, or "system". */
  actor: text(),
  actor_kind: ActorKind,
  type: text(),
  host_id: z.number().int().nullable(),
  team_id: z.number().int().nullable(),
  details: z.record(text(), z.unknown()),
  /** The same in plain words, e.g. "alice@example.com revealed the key of laptop-7: user locked out". */
  summary: text(),
});
export type Activity = z.infer<typeof Activity>;

/** Filters shared by the list and the CSV export. */
export const ActivityFilterQuery = z.object({
  actor: text(320).optional(),
  host_id: Id.optional(),
  type: text(64)
    .regex(/^[a-z_]+$/, 'type is an activity type such as read_host_disk_encryption_key')
    .optional(),
  team_id: TeamIdQuery.optional(),
  /** Inclusive lower and exclusive upper bound on created_at. */
  since: IsoTimeQuery.optional(),
  until: IsoTimeQuery.optional(),
});

/** Newest first. `cursor` pages back in time; `after_id` (older clients) returns only newer ones. */
export const ActivitiesQuery = ActivityFilterQuery.extend({
  per_page: PerPage,
  cursor: Cursor.optional(),
  after_id: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});
export type ActivitiesQuery = z.infer<typeof ActivitiesQuery>;

/** A host's timeline: `GET /hosts/{id}/activities`. */
export const HostActivitiesQuery = z.object({ per_page: PerPage, cursor: Cursor.optional() });

export const ActivitiesResponse = z.object({
  activities: z.array(Activity),
  next_cursor: text().nullable(),
  meta: PageMeta,
});

export const ACTIVITY_CSV_COLUMNS = [
  'id',
  'created_at',
  'actor',
  'actor_kind',
  'type',
  'host_id',
  'team_id',
  'summary',
  'details',
] as const;

// --- dashboard ----------------------------------------------------------------------------------------------

export const DashboardQuery = z.object({ team_id: TeamIdQuery.optional() });

/** `GET /dashboard`: hosts by status × platform × team, right now. */
export const DashboardResponse = z.object({
  counts: z.array(
    z.object({
      status: StatusFilter,
      platform: Platform,
      team_id: z.number().int().nullable(),
      hosts: z.number().int(),
    }),
  ),
  total_hosts: z.number().int(),
  needs_attention: z.number().int(),
});

export const MAX_HISTORY_DAYS = 366;
export const HistoryQuery = z.object({
  days: z.coerce.number().int().min(1).max(MAX_HISTORY_DAYS).default(30),
  team_id: TeamIdQuery.optional(),
  platform: Platform.optional(),
});

/**
 * `GET /dashboard/history`: one entry per day that has a snapshot (a job writes one set per day; today's
 * is rewritten every hour and at startup), oldest first. Days without a snapshot are absent, not zero.
 */
export const HistoryResponse = z.object({
  days: z.array(
    z.object({
      day: text().regex(/^\d{4}-\d{2}-\d{2}$/),
      counts: z.partialRecord(StatusFilter, z.number().int()),
    }),
  ),
});

export { DiskEncryptionStatus };
