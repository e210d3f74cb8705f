import { request, setCsrfSource, withQuery } from './client.js';
import { methodOf, pathOf } from './routes.js';
import type {
  ActivitiesPage,
  ActivitiesQuery,
  ApiTokensList,
  ArchivedKeys,
  CreateApiTokenRequest,
  CreatedToken,
  CreateUserRequest,
  DashboardResponse,
  HistoryResponse,
  HostCount,
  HostDetails,
  HostListQuery,
  HostsPage,
  MeResponse,
  NeedsAttentionPage,
  Optional,
  OrgInfo,
  OrgInfoResponse,
  RevealedArchivedKeys,
  RevealRequest,
  RevealResponse,
  SsoStatusResponse,
  Team,
  TeamsResponse,
  UpdateTeamRequest,
  UpdateUserRequest,
  User,
  UsersList,
} from './types.js';

/** Every admin call the console makes, by the contract's route names; screens never build URLs. */
type HostFilters = Optional<Omit<HostListQuery, 'page'>>;
type ActivityFilters = Optional<Omit<ActivitiesQuery, 'after_id'>>;

const call = <T>(name: Parameters<typeof pathOf>[0], opts: Parameters<typeof request>[2] = {}, params = {}) =>
  request<T>(methodOf(name), pathOf(name, params), opts);
const id = (n: number) => ({ id: n });
setCsrfSource(pathOf('me'));

export const adminApi = {
  me: () => call<MeResponse>('me', { allowUnauthorized: true }),
  signIn: (email: string, password: string) =>
    call<MeResponse>('signIn', { body: { email, password }, allowUnauthorized: true }),
  signOut: () => call<void>('signOut', { allowUnauthorized: true }),
  ssoStatus: () => call<SsoStatusResponse>('ssoStatus', { allowUnauthorized: true }),

  dashboard: (teamId: number | undefined, signal?: AbortSignal) =>
    call<DashboardResponse>('dashboard', { query: { team_id: teamId }, signal }),
  history: (teamId: number | undefined, signal?: AbortSignal) =>
    call<HistoryResponse>('dashboardHistory', { query: { days: 30, team_id: teamId }, signal }),
  needsAttention: (teamId: number | undefined, signal?: AbortSignal) =>
    call<NeedsAttentionPage>('needsAttention', { query: { team_id: teamId, per_page: 20 }, signal }),

  hosts: (q: HostFilters, signal?: AbortSignal) => call<HostsPage>('listHosts', { query: { ...q }, signal }),
  countHosts: (q: HostFilters, signal?: AbortSignal) =>
    call<HostCount>('countHosts', {
      query: { query: q.query, status: q.status, platform: q.platform, team_id: q.team_id },
      signal,
    }).then((r) => r.count),
  /** A link, not a fetch: the browser streams the file to disk itself, however many hosts there are. */
  hostsCsvUrl: (q: HostFilters) =>
    withQuery(pathOf('exportHosts'), { ...q, cursor: null, per_page: null, format: 'csv' }),
  host: (hostId: number, signal?: AbortSignal) =>
    call<{ host: HostDetails }>('getHost', { signal }, id(hostId)).then((r) => r.host),
  hostByIdentifier: (identifier: string) =>
    call<{ host: HostDetails }>('hostByIdentifier', {}, { identifier }).then((r) => r.host),
  timeline: (hostId: number, signal?: AbortSignal) =>
    call<ActivitiesPage>('hostActivities', { query: { per_page: 50 }, signal }, id(hostId)),
  archivedKeys: (hostId: number, signal?: AbortSignal) =>
    call<ArchivedKeys>('archivedKeys', { signal }, id(hostId)).then((r) => r.archived_keys),
  revealKey: (hostId: number, body: RevealRequest) =>
    call<RevealResponse>('revealKeyPost', { body }, id(hostId)),
  revealArchivedKey: (hostId: number, archivedKeyId: number, reason: string | undefined) =>
    call<RevealedArchivedKeys>(
      'revealArchivedKeysPost',
      { body: { archived_key_id: archivedKeyId, ...(reason ? { reason } : {}) } },
      id(hostId),
    ),
  rotateKey: (hostId: number) => call<void>('rotateKey', { body: {} }, id(hostId)),
  transferHosts: (teamId: number | null, hostIds: number[]) =>
    call<{ moved_host_ids: number[] }>('transferHosts', { body: { team_id: teamId, hosts: hostIds } }),

  teams: (signal?: AbortSignal) => call<TeamsResponse>('listTeams', { signal }),
  createTeam: (name: string) => call<{ team: Team }>('createTeam', { body: { name } }).then((r) => r.team),
  updateTeam: (teamId: number, change: Optional<UpdateTeamRequest>) =>
    call<{ team: Team }>('updateTeam', { body: change }, id(teamId)).then((r) => r.team),
  /** "No team" has no team id to PATCH; its policy is Fleet's disk_encryption call with team_id null. */
  updateNoTeamPolicy: (change: Optional<UpdateTeamRequest> & { enable_disk_encryption: boolean }) =>
    call<void>('setDiskEncryption', { body: { team_id: null, ...change } }),

  activities: (q: ActivityFilters, signal?: AbortSignal) =>
    call<ActivitiesPage>('listActivities', { query: { ...q }, signal }),
  activitiesCsvUrl: (q: ActivityFilters) =>
    withQuery(pathOf('exportActivities'), { ...q, cursor: null, per_page: null, format: 'csv' }),

  org: (signal?: AbortSignal) => call<OrgInfoResponse>('getOrg', { signal }).then((r) => r.org_info),
  updateOrg: (org: OrgInfo) =>
    call<OrgInfoResponse>('updateOrg', { body: { org_info: org } }).then((r) => r.org_info),

  users: (signal?: AbortSignal) => call<UsersList>('listUsers', { signal }).then((r) => r.users),
  createUser: (u: Optional<CreateUserRequest>) =>
    call<{ user: User }>('createUser', { body: u }).then((r) => r.user),
  updateUser: (userId: number, u: Optional<UpdateUserRequest>) =>
    call<{ user: User }>('updateUser', { body: u }, id(userId)).then((r) => r.user),

  tokens: (signal?: AbortSignal) =>
    call<ApiTokensList>('listApiTokens', { signal }).then((r) => r.api_tokens),
  createToken: (t: Optional<CreateApiTokenRequest>) => call<CreatedToken>('createApiToken', { body: t }),
  revokeToken: (tokenId: number) => call<void>('revokeApiToken', {}, id(tokenId)),
};
