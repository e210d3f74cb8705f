/**
 * The admin API's types, all inferred from the contract's schemas in ipc/admin (types only: no schema
 * reaches the page). The screens import them from here so one file names what the console depends on.
 */
import type { z } from 'zod';
import type {
  ActivitiesResponse,
  ApiTokensResponse,
  ArchivedKeysResponse,
  CreateApiTokenResponse,
  DashboardResponse as DashboardSchema,
  HistoryResponse as HistorySchema,
  HostCountResponse,
  HostListResponse,
  NeedsAttentionResponse as NeedsAttentionSchema,
  OrgResponse,
  RevealArchivedResponse,
  TeamsResponse as TeamsSchema,
  UsersResponse,
} from '../../ipc/admin/admin-api.js';

export type {
  ActivitiesQuery,
  Activity,
  AdminError,
  AdminRouteName,
  ApiToken,
  AttentionReason,
  CreateApiTokenRequest,
  CreateUserRequest,
  DiskEncryptionStatus,
  ErrorCode,
  HostDetails,
  HostListQuery,
  HostOrderKey,
  HostSummary,
  KeyKind,
  MeResponse,
  OrgInfo,
  Permission,
  Platform,
  Policy,
  RevealRequest,
  RevealResponse,
  Role,
  SsoStatusResponse,
  StatusFilter,
  Team,
  UpdateTeamRequest,
  UpdateUserRequest,
  User,
} from '../../ipc/admin/admin-api.js';

/** Answers as they arrive on the wire (z.output: after the server's own transforms). */
export type HostsPage = z.output<typeof HostListResponse>;
export type HostCount = z.output<typeof HostCountResponse>;
export type ActivitiesPage = z.output<typeof ActivitiesResponse>;
export type ArchivedKeys = z.output<typeof ArchivedKeysResponse>;
export type ArchivedKeyMeta = ArchivedKeys['archived_keys'][number];
export type RevealedArchivedKeys = z.output<typeof RevealArchivedResponse>;
export type DashboardResponse = z.output<typeof DashboardSchema>;
export type StatusCount = DashboardResponse['counts'][number];
export type HistoryResponse = z.output<typeof HistorySchema>;
export type DailySnapshot = HistoryResponse['days'][number];
export type NeedsAttentionPage = z.output<typeof NeedsAttentionSchema>;
export type TeamsResponse = z.output<typeof TeamsSchema>;
export type NoTeamPolicy = NonNullable<TeamsResponse['no_team']>;
export type OrgInfoResponse = z.output<typeof OrgResponse>;
export type UsersList = z.output<typeof UsersResponse>;
export type ApiTokensList = z.output<typeof ApiTokensResponse>;
export type CreatedToken = z.output<typeof CreateApiTokenResponse>;

/**
 * A query as the console sends it: the contract's list query, every field optional (the server fills in
 * the defaults), and `per_page` a plain number.
 */
export type Optional<T> = { [K in keyof T]?: T[K] | undefined };
