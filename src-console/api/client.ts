/**
 * The one place the console calls fetch. It sends the session's CSRF token on every write, turns the
 * server's error bodies into ApiError with the server's words, and on a 401 (no session, or it expired)
 * sends the browser to the sign-in page with the page it was on kept, to come back to.
 *
 * Responses are typed by the admin contract (ipc/admin), whose types the console imports but not its
 * schemas: the console is served by the same build of the same server, and zod would be the biggest part of
 * the page's JavaScript (docs/decisions/0015-admin-console.md).
 */

import { CSRF } from './routes.js';
import type { ErrorCode } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The contract's machine-readable reason, when the server gave one. */
    readonly code: ErrorCode | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

interface ClientState {
  csrfToken: string | null;
  onUnauthorized: () => void;
}

const state: ClientState = { csrfToken: null, onUnauthorized: () => {} };

/** The session's CSRF token: set when a session starts or is read, cleared when it ends. */
export function setCsrfToken(token: string | null): void {
  state.csrfToken = token;
}

/** Where a fresh CSRF token is read (GET /me), set by the API module so this file names no route. */
const csrfSource = { path: '' };
export function setCsrfSource(path: string): void {
  csrfSource.path = path;
}

/** What to do when the server says the session is gone (set once by the app: go to sign-in). */
export function onUnauthorized(handler: () => void): void {
  state.onUnauthorized = handler;
}

export function withQuery(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Sign-in and the session probe handle 401 themselves (it means "not signed in", not "expired"). */
  allowUnauthorized?: boolean;
  csrfRetried?: boolean;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && state.csrfToken) headers[CSRF] = state.csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  if (res.status === 401 && !opts.allowUnauthorized) {
    state.csrfToken = null;
    state.onUnauthorized();
    throw new ApiError(401, 'Your session has ended. Please sign in again.', 'session_expired');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, say: fall through to the status line.
  }
  const code = body && typeof body === 'object' ? (body as { code?: unknown }).code : null;
  // The session's CSRF token was replaced (a sign-in in another tab): read the current one from /me and
  // try once more. Only for writes that carried a token, and only once, so this can never loop.
  if (res.status === 403 && code === 'csrf_token_invalid' && !opts.csrfRetried && headers[CSRF]) {
    const me = await request<{ csrf_token: string | null }>('GET', csrfSource.path, {
      allowUnauthorized: true,
    });
    state.csrfToken = me.csrf_token;
    return request<T>(method, path, { ...opts, csrfRetried: true });
  }
  if (!res.ok) {
    throw new ApiError(
      res.status,
      errorText(res.status, body),
      typeof code === 'string' ? (code as ErrorCode) : null,
    );
  }
  return body as T;
}

/** The server's own words ({ error } on this server, { message } in Fleet's style), else a plain one. */
function errorText(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === 'string' && b.error) return b.error;
    if (typeof b.message === 'string' && b.message) return b.message;
  }
  if (status === 403) return 'Your role does not allow this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests; wait a moment and try again.';
  return `The server answered ${status}.`;
}
