import { CSRF_HEADER, type Role } from '../../ipc/admin/auth.js';
import { hashPassword } from '../auth/passwords.js';
import { digest, newSecret } from '../http/secrets.js';
import type { TestServer } from './server.js';

/** Helpers for admin API tests: people, tokens, sessions and requests with either. */

export const API = '/api/latest/fleet';

export interface Session {
  cookie: string;
  csrf: string;
}

export type Auth = { token: string } | { session: Session; csrf?: string | null } | null;

/** A request as the console (cookie + CSRF header) or a script (Bearer) makes it. */
export function call(
  t: TestServer,
  method: string,
  path: string,
  auth: Auth,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && 'token' in auth) headers.authorization = `Bearer ${auth.token}`;
  if (auth && 'session' in auth) {
    headers.cookie = auth.session.cookie;
    const csrf = auth.csrf === undefined ? auth.session.csrf : auth.csrf;
    if (csrf !== null) headers[CSRF_HEADER] = csrf;
  }
  return fetch(t.url + (path.startsWith('/api/') || path.startsWith('/admin') ? path : API + path), {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function json<T = Record<string, unknown>>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** An API token made directly in the store. */
export async function token(
  t: TestServer,
  role: Role,
  teams: number[] | null = null,
  expiresAt: string | null = null,
) {
  const secret = newSecret();
  const id = await t.server.store.addAdminToken(digest(secret), {
    role,
    name: `${role}${teams ? ` of ${teams.join(',')}` : ''}`,
    teams,
    expires_at: expiresAt,
  });
  return { token: secret, id };
}

export const PASSWORD = 'a long test password';

export async function addUser(t: TestServer, email: string, role: Role, teams: number[] | null = null) {
  const user = await t.server.store.createUser({
    email,
    name: email.split('@')[0] ?? '',
    role,
    teams,
    password_hash: await hashPassword(PASSWORD),
  });
  if (!user) throw new Error(`user ${email} exists`);
  return user;
}

/** Signs in through the API; returns the cookie to send back and the CSRF token. */
export async function signIn(t: TestServer, email: string, password = PASSWORD): Promise<Session> {
  const res = await call(t, 'POST', '/sessions', null, { email, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrf_token: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf_token };
}

export async function team(t: TestServer, name: string, encryption = true): Promise<number> {
  const created = await t.server.store.createTeam(name, encryption);
  return created.id;
}
