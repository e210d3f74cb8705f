import { describe, expect, it } from 'vitest';
import { accessFor, groupsOf, parseRoleMap, RoleMapError } from './role-map.js';

const teams = new Map([
  ['Berlin', 1],
  ['Paris', 2],
]);
const resolve = (t: string) => (t.startsWith('#') ? Number(t.slice(1)) : (teams.get(t) ?? null));

describe('--oidc-role-map', () => {
  it('parses roles with and without teams', () => {
    expect(
      parseRoleMap('it-admins=admin, servicedesk=helpdesk,hd-eu=helpdesk@Berlin+Paris,audit=observer@#3'),
    ).toEqual([
      { group: 'it-admins', role: 'admin', teams: null },
      { group: 'servicedesk', role: 'helpdesk', teams: null },
      { group: 'hd-eu', role: 'helpdesk', teams: ['Berlin', 'Paris'] },
      { group: 'audit', role: 'observer', teams: ['#3'] },
    ]);
    // A group name may itself contain "=" (e.g. an LDAP DN): the last "=" separates the role.
    expect(parseRoleMap('cn=admins=admin')).toEqual([{ group: 'cn=admins', role: 'admin', teams: null }]);
  });

  it.each(['admins', '=admin', 'x=root', 'x=helpdesk@'])('refuses %s', (text) => {
    expect(() => parseRoleMap(text)).toThrow(RoleMapError);
  });

  const map = parseRoleMap(
    'it-admins=admin,servicedesk=helpdesk,hd-berlin=helpdesk@Berlin,hd-paris=helpdesk@Paris,hd-x=helpdesk@Nowhere',
  );

  it('gives the highest role; unlimited wins over teams; teams add up', () => {
    expect(accessFor(['servicedesk', 'it-admins'], map, resolve)).toEqual({ role: 'admin', teams: null });
    expect(accessFor(['hd-berlin', 'servicedesk'], map, resolve)).toEqual({ role: 'helpdesk', teams: null });
    expect(accessFor(['hd-paris', 'hd-berlin'], map, resolve)).toEqual({ role: 'helpdesk', teams: [1, 2] });
  });

  it('gives nothing without a mapped group, or when every team of the group is unknown', () => {
    const unknown: string[] = [];
    expect(accessFor(['staff'], map, resolve)).toBeNull();
    expect(accessFor(['hd-x'], map, resolve, (t) => unknown.push(t))).toBeNull();
    expect(unknown).toEqual(['Nowhere']);
  });

  it('reads the groups claim as strings only', () => {
    expect(groupsOf(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(groupsOf('a')).toEqual(['a']);
    expect(groupsOf({ a: 1 })).toEqual([]);
  });
});
