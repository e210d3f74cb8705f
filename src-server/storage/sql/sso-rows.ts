import type { HostLink, LinkVia, PersonRecord } from '../sso-records.js';

/** The host row's link columns (migration 61), read with every host. */
export const LINK_COLUMNS =
  'linked_person_id, linked_email, linked_name, linked_at, linked_via, recovery_key_used_at, recovery_key_shown_to';

export interface LinkRow {
  linked_person_id: number | null;
  linked_email: string | null;
  linked_name: string | null;
  linked_at: string | null;
  linked_via: string | null;
  recovery_key_used_at: string | null;
  recovery_key_shown_to: string | null;
}

export function linkOf(r: Omit<LinkRow, 'recovery_key_used_at' | 'recovery_key_shown_to'>): {
  linked_user: HostLink | null;
} {
  if (r.linked_person_id === null) return { linked_user: null };
  return {
    linked_user: {
      person_id: r.linked_person_id,
      email: r.linked_email ?? '',
      name: r.linked_name ?? '',
      linked_at: r.linked_at ?? '',
      linked_via: (r.linked_via ?? 'admin') as LinkVia,
    },
  };
}

export const PERSON_COLUMNS =
  'id, email, name, issuer, subject, user_id, sso_disabled, groups_json, created_at, last_sign_in_at';

export interface PersonRow extends Omit<PersonRecord, 'sso_disabled' | 'groups'> {
  sso_disabled: number;
  groups_json: string;
}

export function toPerson(r: PersonRow): PersonRecord {
  const { groups_json, ...rest } = r;
  return { ...rest, sso_disabled: r.sso_disabled !== 0, groups: JSON.parse(groups_json) as string[] };
}
