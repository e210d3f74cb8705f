import { CreateUserRequest, type Role, type User } from '../ipc/admin/auth.js';
import { type OrgInfo, UpdateOrgRequest } from '../ipc/admin/teams.js';
import { hashPassword } from './auth/passwords.js';
import { DEFAULT_ORG, ORG_SETTING, parseOrg } from './domain/org.js';
import { userJson } from './http/admin/session-routes.js';
import { openStore } from './storage/open.js';
import type { EscrowStore } from './storage/port.js';

/** The people and organisation commands of escrow-server (cli.ts parses; these do the work). */

export class CliInputError extends Error {}

interface StoreOpts {
  dataDir: string;
  databaseUrl?: string;
}

async function withStore<T>(opts: StoreOpts, fn: (store: EscrowStore) => Promise<T>): Promise<T> {
  const store = await openStore(opts);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Team names or ids → ids; every one must exist. */
async function resolveTeams(store: EscrowStore, teams: readonly string[]): Promise<number[] | null> {
  if (teams.length === 0) return null;
  const all = await store.listTeams();
  return teams.map((t) => {
    const found = all.find((x) => x.name === t || String(x.id) === t);
    if (!found) throw new CliInputError(`no team named or numbered "${t}" (create it first)`);
    return found.id;
  });
}

/** The password as given on stdin, without the one line break `echo` or a here-string adds. */
export function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export async function addUser(
  opts: StoreOpts & {
    email: string;
    role: string;
    teams: readonly string[];
    name?: string;
    password: string;
  },
): Promise<User> {
  return withStore(opts, async (store) => {
    const parsed = CreateUserRequest.safeParse({
      email: opts.email,
      role: opts.role,
      name: opts.name ?? '',
      password: opts.password,
      teams: null,
    });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new CliInputError(i ? `${i.path.join('.') || 'input'}: ${i.message}` : 'invalid input');
    }
    const teams = await resolveTeams(store, opts.teams);
    const user = await store.createUser({
      email: parsed.data.email,
      name: parsed.data.name,
      role: parsed.data.role,
      teams,
      password_hash: await hashPassword(parsed.data.password),
    });
    if (!user) throw new CliInputError(`a user with email ${parsed.data.email} already exists`);
    await store.addActivity({
      actor: 'cli',
      actor_kind: 'system',
      type: 'created_user',
      details: { user_id: user.id, email: user.email, role: user.role, teams: user.teams },
    });
    return userJson(user);
  });
}

export async function setOrg(
  opts: StoreOpts & { name?: string; contactUrl?: string; contactEmail?: string; contactPhone?: string },
): Promise<OrgInfo> {
  return withStore(opts, async (store) => {
    const change = {
      ...(opts.name === undefined ? {} : { org_name: opts.name }),
      ...(opts.contactUrl === undefined ? {} : { contact_url: opts.contactUrl }),
      ...(opts.contactEmail === undefined ? {} : { contact_email: opts.contactEmail }),
      ...(opts.contactPhone === undefined ? {} : { contact_phone: opts.contactPhone }),
    };
    if (Object.keys(change).length === 0) throw new CliInputError('give at least one of --name, --contact-*');
    const parsed = UpdateOrgRequest.safeParse({ org_info: change });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new CliInputError(i ? i.message : 'invalid input');
    }
    const current = parseOrg(await store.getSetting(ORG_SETTING), DEFAULT_ORG);
    const definedChanges = Object.fromEntries(
      Object.entries(parsed.data.org_info).filter(([, v]) => v !== undefined),
    );
    const next: OrgInfo = { ...current, ...definedChanges };
    await store.putSetting(ORG_SETTING, JSON.stringify(next));
    await store.addActivity({
      actor: 'cli',
      actor_kind: 'system',
      type: 'edited_org_info',
      details: { changes: definedChanges },
    });
    return next;
  });
}

export async function listTokens(opts: StoreOpts) {
  return withStore(opts, (store) => store.listAdminTokens());
}

export async function revokeToken(opts: StoreOpts & { id: number }): Promise<boolean> {
  return withStore(opts, async (store) => {
    const token = (await store.listAdminTokens()).find((t) => t.id === opts.id);
    if (!token || !(await store.revokeAdminToken(opts.id))) return false;
    await store.addActivity({
      actor: 'cli',
      actor_kind: 'system',
      type: 'revoked_api_token',
      details: { token_id: token.id, name: token.name },
    });
    return true;
  });
}

/** Team names/ids for add-admin-token --team. */
export async function teamIds(opts: StoreOpts, teams: readonly string[]): Promise<number[] | null> {
  return withStore(opts, (store) => resolveTeams(store, teams));
}

export type { Role };
