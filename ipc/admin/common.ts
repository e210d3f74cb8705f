import { z } from 'zod';
import { text } from '../schema-helpers.js';

/**
 * What every admin endpoint shares: limits, error answers, ids, paging. The server validates every query
 * string and body with these schemas; the console may parse answers with the response schemas.
 */

/** Every admin endpoint lives under this prefix (Fleet's). */
export const ADMIN_API_BASE = '/api/latest/fleet';

/** Longest search text; longer is refused with 400 (`query_too_long`), never truncated silently. */
export const MAX_QUERY_LENGTH = 256;
/** Page sizes: larger is refused with 400, not clamped, so a client never believes it got everything. */
export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 1000;
/**
 * Fleet's `page` (0-based) is accepted for compatibility while page × per_page stays at most this; beyond
 * it the client must follow `next_cursor` (keyset paging does not slow down with depth, offsets do).
 */
export const MAX_PAGE_OFFSET = 10_000;
/** Longest free text a person types (a reveal reason, a token name). */
export const MAX_REASON_LENGTH = 500;

/** Machine-readable reason of an error answer; the console decides what to do from it, not from `error`. */
export const ErrorCode = z.enum([
  'invalid_request', // 400: a query or body did not validate; `details` lists every problem
  'query_too_long', // 400: search text over MAX_QUERY_LENGTH
  'reason_required', // 400: this team requires a reason to reveal a key
  'not_signed_in', // 401: no session cookie and no Bearer token
  'session_expired', // 401: idle timeout or absolute lifetime reached → sign in again
  'session_revoked', // 401: signed out (here or everywhere), user removed or disabled → sign in again
  'invalid_token', // 401: unknown Bearer token
  'token_expired', // 401
  'token_revoked', // 401
  'bad_credentials', // 401: sign-in failed (same answer for an unknown email and a wrong password)
  'password_login_disabled', // 403: the server signs people in only with single sign-on (GET /sso)
  'csrf_token_invalid', // 403: state-changing request with a session but without the right X-CSRF-Token
  'forbidden', // 403: the role may not do this
  'not_found', // 404: also a host or team outside the caller's teams
  'conflict', // 409: e.g. a duplicate team name or email
  'rate_limited', // 429: see Retry-After
  'internal', // 500
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Every non-2xx admin answer. `error` is plain words for people; `code` is for programs. */
export const AdminError = z.object({
  error: text(),
  code: ErrorCode.optional(),
  details: z.array(z.object({ path: text(), message: text() })).optional(),
});
export type AdminError = z.infer<typeof AdminError>;

/** Fleet's "No team" is team_id null (older clients send 0). */
export const TeamId = z.union([
  z.number().int().positive().max(2_147_483_647),
  z.literal(0).transform(() => null),
  z.null(),
]);

/** `?team_id=` on lists: absent = every host the caller may see, 0 = "No team", n = that team. */
export const TeamIdQuery = z.coerce.number().int().min(0).max(2_147_483_647);

export const Id = z.coerce.number().int().positive().max(2_147_483_647);
export const IdParams = z.object({ id: Id });

export const PerPage = z.coerce
  .number()
  .int()
  .min(1, 'per_page must be at least 1')
  .max(MAX_PER_PAGE, `per_page must be at most ${MAX_PER_PAGE}; follow next_cursor for more`)
  .default(DEFAULT_PER_PAGE);

/** Opaque: pass back `next_cursor` exactly as received. */
export const Cursor = text(512, 'cursor is too long').regex(
  /^[A-Za-z0-9_-]+$/,
  'cursor is not one this server gave out',
);

/** A query-string boolean (`true`/`false`/`1`/`0`). */
export const QueryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const IsoTime = z.iso.datetime({ offset: true });
/** Query-string time bound: an ISO time with offset, answered in UTC. */
export const IsoTimeQuery = IsoTime.transform((s) => new Date(s).toISOString());

/** Keyset page metadata (Fleet has `meta.has_next_results` on newer lists). */
export const PageMeta = z.object({
  has_next_results: z.boolean(),
  has_previous_results: z.boolean(),
});

export const CsvFormatQuery = z.object({ format: z.literal('csv') });
