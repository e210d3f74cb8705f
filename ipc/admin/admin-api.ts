import { z } from 'zod';

/**
 * The admin API contract (Fleet's paths and names where Fleet has them). One module per concern; this file
 * re-exports them all, and keeps the names older callers import.
 *
 * - `paths.ts`: every endpoint by name (`ADMIN_ROUTES`), the console's path
 * - `common.ts`: limits, error codes, ids, paging
 * - `auth.ts`: roles, permissions, sessions, users, API tokens
 * - `hosts.ts`: host list/search/export, a host's page, revealing keys
 * - `teams.ts`: teams, disk-encryption policy, moving hosts, organisation
 * - `activity.ts`: the activity log, dashboard counts and history
 * - `self-service.ts`: single sign-on status, people linked to computers, the portal's policy
 *
 * Authentication: a session cookie (the console; writes need `X-CSRF-Token`) or
 * `Authorization: Bearer <API token>` (scripts, Fleet-compatible clients).
 */
export * from './activity.js';
export * from './auth.js';
export * from './common.js';
export * from './hosts.js';
export * from './paths.js';
export * from './self-service.js';
export * from './teams.js';

import { TeamIdQuery } from './common.js';

/** `?team_id=` on the encryption summary: absent = all hosts, 0 = "No team", n = that team. */
export const TeamFilterQuery = z.object({ team_id: TeamIdQuery.optional() });

/** Older name of IdParams. */
export { IdParams as HostIdParams } from './common.js';
