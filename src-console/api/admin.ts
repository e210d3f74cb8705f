import { api, request, withQuery } from './client.js';
import type {
  ActivitiesPage,
  ActivitiesQuery,
  ApiTokenRow,
  ArchivedKeyRow,
  CreatedToken,
  DashboardResponse,
  HostDetail,
  HostsPage,
  HostsQuery,
  OrgSettings,
  RevealResponse,
  Role,
  SessionResponse,
  Team,
  TimelineEvent,
  UserRow,
} from './types.js';

/** Every admin API path the console uses, in one place; screens call these and never build URLs. */
const BASE = '/api/latest/fleet';

export const adminApi = {
  session: () => request<SessionResponse>('GET', `${BASE}/session`, { allowUnauthorized: true }),
  signIn: (email: string, password: string) =>
    request<SessionResponse>('POST', `${BASE}/session`, {
      body: { email, password },
      allowUnauthorized: true,
    }),
  signOut: () => request<void>('DELETE', `${BASE}/session`, { allowUnauthorized: true }),

  dashboard: (signal?: AbortSignal) => api.get<DashboardResponse>(`${BASE}/dashboard`, undefined, signal),

  hosts: (q: HostsQuery, signal?: AbortSignal) => api.get<HostsPage>(`${BASE}/hosts`, { ...q }, signal),
  /** A link, not a fetch: the browser downloads the file itself (streamed; no size limit in the page). */
  hostsCsvUrl: (q: HostsQuery) => withQuery(`${BASE}/hosts/export.csv`, { ...q, after: null, before: null }),
  host: (id: number, signal?: AbortSignal) =>
    api.get<{ host: HostDetail }>(`${BASE}/hosts/${id}`, undefined, signal).then((r) => r.host),
  hostByIdentifier: (identifier: string) =>
    api
      .get<{ host: HostDetail }>(`${BASE}/hosts/identifier/${encodeURIComponent(identifier)}`)
      .then((r) => r.host),
  timeline: (id: number, signal?: AbortSignal) =>
    api
      .get<{ events: TimelineEvent[] }>(`${BASE}/hosts/${id}/timeline`, undefined, signal)
      .then((r) => r.events),
  archivedKeys: (id: number, signal?: AbortSignal) =>
    api
      .get<{ archived_keys: ArchivedKeyRow[] }>(`${BASE}/hosts/${id}/archived_keys`, undefined, signal)
      .then((r) => r.archived_keys),
  revealKey: (id: number, reason: string, rotateAfter: boolean) =>
    api.post<RevealResponse>(`${BASE}/hosts/${id}/encryption_key/reveal`, {
      reason,
      rotate_after_reveal: rotateAfter,
    }),
  rotateKey: (id: number) => api.post<void>(`${BASE}/hosts/${id}/rotate_encryption_key`),
  transferHosts: (teamId: number | null, hostIds: number[]) =>
    api.post<{ moved_host_ids: number[] }>(`${BASE}/hosts/transfer`, { team_id: teamId, hosts: hostIds }),

  teams: (signal?: AbortSignal) =>
    api.get<{ teams: Team[] }>(`${BASE}/teams`, undefined, signal).then((r) => r.teams),
  createTeam: (name: string) => api.post<{ team: Team }>(`${BASE}/teams`, { name }).then((r) => r.team),
  updateTeamPolicy: (teamId: number | null, policy: Partial<Omit<Team, 'id' | 'name' | 'host_count'>>) =>
    api.patch<{ team: Team }>(`${BASE}/teams/${teamId ?? 0}/policy`, policy).then((r) => r.team),

  activities: (q: ActivitiesQuery, signal?: AbortSignal) =>
    api.get<ActivitiesPage>(`${BASE}/activities`, { ...q }, signal),
  activitiesCsvUrl: (q: ActivitiesQuery) =>
    withQuery(`${BASE}/activities/export.csv`, { ...q, after: null, before: null }),

  org: (signal?: AbortSignal) => api.get<OrgSettings>(`${BASE}/organization`, undefined, signal),
  updateOrg: (s: OrgSettings) => api.patch<OrgSettings>(`${BASE}/organization`, s),

  users: (signal?: AbortSignal) =>
    api.get<{ users: UserRow[] }>(`${BASE}/users`, undefined, signal).then((r) => r.users),
  createUser: (u: { email: string; name: string; password: string; role: Role; team_ids: number[] }) =>
    api.post<{ user: UserRow }>(`${BASE}/users`, u).then((r) => r.user),
  updateUser: (id: number, u: { role: Role; team_ids: number[] }) =>
    api.patch<{ user: UserRow }>(`${BASE}/users/${id}`, u).then((r) => r.user),

  tokens: (signal?: AbortSignal) =>
    api.get<{ tokens: ApiTokenRow[] }>(`${BASE}/api_tokens`, undefined, signal).then((r) => r.tokens),
  createToken: (t: { name: string; role: Role; expires_in_days: number | null }) =>
    api.post<CreatedToken>(`${BASE}/api_tokens`, t),
  revokeToken: (id: number) => api.del<void>(`${BASE}/api_tokens/${id}`),
};
