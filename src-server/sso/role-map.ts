import { Role } from '../../ipc/admin/auth.js';

/**
 * Which console role (and which teams) a person's identity-provider groups give (pure).
 *
 * Syntax of `--oidc-role-map`: comma-separated `GROUP=ROLE` or `GROUP=ROLE@TEAM+TEAM…`, e.g.
 *   it-admins=admin,servicedesk=helpdesk,helpdesk-berlin=helpdesk@Berlin,audit=observer@#3
 * TEAM is a team's name or `#id`. A group without `@` gives the role for every host; with `@` only for those
 * teams' hosts. A person in several mapped groups gets the highest role among them (admin > maintainer >
 * helpdesk > observer); their team scope is every host if any group giving that role is unlimited,
 * otherwise the union of those groups' teams. Team names that match no team are ignored (logged), and a
 * group whose teams all match none gives nothing. No mapped group: no console access (the self-service
 * portal needs none).
 */
export interface RoleMapEntry {
  group: string;
  role: Role;
  /** null = every host; otherwise team names or `#id`s, resolved at each sign-in. */
  teams: string[] | null;
}

const RANK: Record<Role, number> = { observer: 1, helpdesk: 2, maintainer: 3, admin: 4 };

export class RoleMapError extends Error {}

export function parseRoleMap(text: string): RoleMapEntry[] {
  const entries: RoleMapEntry[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.lastIndexOf('=');
    if (eq <= 0) throw new RoleMapError(`"${part}": write GROUP=ROLE or GROUP=ROLE@TEAM`);
    const group = part.slice(0, eq).trim();
    const [roleText = '', teamText] = part
      .slice(eq + 1)
      .trim()
      .split('@', 2);
    const role = Role.safeParse(roleText.trim());
    if (!role.success) {
      throw new RoleMapError(`"${part}": the role must be one of ${Role.options.join(', ')}`);
    }
    let teams: string[] | null = null;
    if (teamText !== undefined) {
      teams = teamText
        .split('+')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (teams.length === 0) throw new RoleMapError(`"${part}": name at least one team after @`);
    }
    entries.push({ group, role: role.data, teams });
  }
  return entries;
}

export interface Access {
  role: Role;
  teams: number[] | null;
}

/** Team id by name (and by `#id`) of the teams that exist now. */
export type TeamResolver = (nameOrId: string) => number | null;

export function accessFor(
  groups: readonly string[],
  map: readonly RoleMapEntry[],
  resolveTeam: TeamResolver,
  onUnknownTeam: (team: string) => void = () => {},
): Access | null {
  const have = new Set(groups);
  const grants: Access[] = [];
  for (const e of map) {
    if (!have.has(e.group)) continue;
    if (e.teams === null) {
      grants.push({ role: e.role, teams: null });
      continue;
    }
    const ids: number[] = [];
    for (const t of e.teams) {
      const id = resolveTeam(t);
      if (id === null) onUnknownTeam(t);
      else ids.push(id);
    }
    if (ids.length > 0) grants.push({ role: e.role, teams: ids });
  }
  if (grants.length === 0) return null;
  const top = Math.max(...grants.map((g) => RANK[g.role]));
  const best = grants.filter((g) => RANK[g.role] === top);
  const role = best[0]?.role as Role;
  if (best.some((g) => g.teams === null)) return { role, teams: null };
  const teams = [...new Set(best.flatMap((g) => g.teams ?? []))].sort((a, b) => a - b);
  return { role, teams: teams.slice(0, 100) };
}

/** The groups claim as a list of strings: an array of strings, or one string; anything else is none. */
export function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string').slice(0, 1000);
  return [];
}
