import { z } from 'zod';
import { text } from '../schema-helpers.js';
import { Id, IsoTime, MAX_REASON_LENGTH } from './common.js';

/**
 * People, sessions, roles and API tokens.
 *
 * Console sign-in: `POST /sessions` sets an HttpOnly, SameSite=Strict session cookie (Secure except on
 * loopback plain HTTP) and answers the CSRF token. Every state-changing request made with the cookie must
 * carry that token in `X-CSRF-Token`; without it, or with another one, the answer is 403
 * `csrf_token_invalid`. Requests with `Authorization: Bearer <API token>` need no CSRF token (a Bearer
 * header is never sent by a browser on its own).
 */

export const SESSION_COOKIE = 'escrow_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * admin: everything. maintainer: hosts, keys, teams and policy; not users, API tokens or the organisation.
 * helpdesk: find hosts, see a host's page, reveal and rotate keys; nothing else. observer: hosts, statuses,
 * dashboard and activities; never a key.
 */
export const Role = z.enum(['admin', 'maintainer', 'helpdesk', 'observer']);
export type Role = z.infer<typeof Role>;

/** What a principal may do; `/me` lists them so the console shows only what will work. */
export const Permission = z.enum([
  'hosts.read', // list, search, export hosts; a host's page and timeline; archived key metadata
  'dashboard.read', // status counts, history, needs attention, encryption summary
  'keys.reveal', // show a recovery key (current or archived)
  'keys.rotate', // ask a host for a new key
  'teams.read',
  'teams.write', // create/rename teams, encryption policy, move hosts
  'activities.read', // the fleet-wide activity log and its export
  'org.read',
  'org.write',
  'users.manage', // people and their sessions
  'tokens.manage', // API tokens
  'hosts.assign', // link a host to its person, unlink it, import links from CSV
]);
export type Permission = z.infer<typeof Permission>;

/**
 * Team scope: null = every host; a list = only hosts of those teams (others answer 404, as if absent).
 * Hosts with no team are visible only to unscoped principals.
 */
export const TeamScope = z.array(Id).min(1).max(100).nullable();
export type TeamScope = z.infer<typeof TeamScope>;

const Email = text(254)
  .trim()
  .pipe(z.email('email is not a valid address'))
  .transform((e) => e.toLowerCase());

/** Long enough to resist guessing once hashed; bounded so hashing cannot be made expensive. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
const Password = text(MAX_PASSWORD_LENGTH).min(
  MIN_PASSWORD_LENGTH,
  `password must be at least ${MIN_PASSWORD_LENGTH} characters`,
);

// --- sessions -------------------------------------------------------------------------------------------

export const SignInRequest = z.object({
  email: text(254)
    .trim()
    .transform((e) => e.toLowerCase()),
  // Not checked for MIN_PASSWORD_LENGTH here: a short one simply does not match.
  password: text(MAX_PASSWORD_LENGTH).min(1),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

export const User = z.object({
  id: z.number().int(),
  email: text(),
  name: text(),
  role: Role,
  teams: TeamScope,
  disabled: z.boolean(),
  created_at: IsoTime,
  updated_at: IsoTime,
  last_sign_in_at: IsoTime.nullable(),
});
export type User = z.infer<typeof User>;

/** `GET /me`, and the answer to a sign-in. For a Bearer token, `user` is null and `api_token` is set. */
export const MeResponse = z.object({
  user: User.nullable(),
  api_token: z.object({ id: z.number().int(), name: text() }).nullable(),
  role: Role,
  teams: TeamScope,
  permissions: z.array(Permission),
  /** Send it back as X-CSRF-Token on every state-changing request; null for Bearer tokens. */
  csrf_token: text().nullable(),
  session: z.object({ idle_expires_at: IsoTime, expires_at: IsoTime }).nullable(),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const ChangePasswordRequest = z.object({
  current_password: text(MAX_PASSWORD_LENGTH).min(1),
  new_password: Password,
});

// --- users (admin) --------------------------------------------------------------------------------------

export const CreateUserRequest = z.object({
  email: Email,
  name: text(255).trim().default(''),
  role: Role,
  teams: TeamScope.default(null),
  password: Password,
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** Absent fields keep their value. Disabling a user or changing the password ends the user's sessions. */
export const UpdateUserRequest = z.object({
  name: text(255).trim().optional(),
  role: Role.optional(),
  teams: TeamScope.optional(),
  disabled: z.boolean().optional(),
  password: Password.optional(),
});
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

export const UserResponse = z.object({ user: User });
export const UsersResponse = z.object({ users: z.array(User) });

// --- API tokens (admin) ---------------------------------------------------------------------------------

export const ApiToken = z.object({
  id: z.number().int(),
  name: text(),
  role: Role,
  teams: TeamScope,
  created_at: IsoTime,
  /** Who made it: a user's email, "cli" or "init". */
  created_by: text(),
  expires_at: IsoTime.nullable(),
  revoked_at: IsoTime.nullable(),
  last_used_at: IsoTime.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const MAX_TOKEN_DAYS = 3650;
export const CreateApiTokenRequest = z.object({
  name: text(MAX_REASON_LENGTH).trim().min(1, 'name is required'),
  role: Role,
  teams: TeamScope.default(null),
  /** null = never expires. */
  expires_in_days: z.number().int().min(1).max(MAX_TOKEN_DAYS).nullable().default(90),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;

/** The secret is in this answer only; it is stored as a digest and never shown again. */
export const CreateApiTokenResponse = z.object({ api_token: ApiToken, token: text() });
export const ApiTokensResponse = z.object({ api_tokens: z.array(ApiToken) });
