import { z } from 'zod';
import { text } from '../schema-helpers.js';
import { IsoTime, TeamId } from './common.js';

/** Teams, their disk-encryption policy, moving hosts, and the organisation's contact details. */

const LogoutDeadline = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s).toISOString()) // agents get UTC ("Z"), whatever offset was sent
  .nullable();

/**
 * The policy fields, each optional in a change: absent keeps the current value, null clears it.
 * `reason_required` (default true): revealing a key needs a reason. `rotate_after_reveal` (default false;
 * for "no team" the server's `--rotate-key-after-read` flag gives the default): every reveal asks the host
 * for a new key.
 */
const PolicyChange = {
  /** Ours: escrow must be done by then (ISO time); null clears it, absent keeps it. */
  logout_deadline: LogoutDeadline.optional(),
  /** Ours: how many times the user may postpone the prompt; null clears it, absent keeps it. */
  max_deferrals: z.number().int().min(0).max(1000).nullable().optional(),
  reason_required: z.boolean().optional(),
  rotate_after_reveal: z.boolean().optional(),
};

export const DiskEncryptionRequest = z
  .object({
    team_id: TeamId.optional(),
    /** Newer Fleet versions call teams "fleets" and send `fleet_id`; accepted as the same thing. */
    fleet_id: TeamId.optional(),
    enable_disk_encryption: z.boolean(),
    ...PolicyChange,
  })
  .superRefine((v, ctx) => {
    // Absent team_id and fleet_id mean "no team", as Fleet's own clients send it (and its API documents).
    if (v.team_id !== undefined && v.fleet_id !== undefined && v.team_id !== v.fleet_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet_id'],
        message: 'team_id and fleet_id name different teams; send one of them',
      });
    }
  })
  .transform(({ team_id, fleet_id, ...rest }) => ({
    ...rest,
    team_id: (team_id !== undefined ? team_id : fleet_id) ?? null,
  }));
export type DiskEncryptionRequest = z.infer<typeof DiskEncryptionRequest>;

const TeamName = text(255).trim().min(1, 'name is required');

export const CreateTeamRequest = z.object({
  name: TeamName,
  enable_disk_encryption: z.boolean().optional(),
  ...PolicyChange,
});
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

/** `PATCH /teams/{id}`: absent fields keep their value. */
export const UpdateTeamRequest = z.object({
  name: TeamName.optional(),
  enable_disk_encryption: z.boolean().optional(),
  ...PolicyChange,
});
export type UpdateTeamRequest = z.infer<typeof UpdateTeamRequest>;

export const TransferHostsRequest = z.object({
  team_id: TeamId,
  hosts: z
    .array(z.number().int().positive().max(2_147_483_647))
    .min(1, 'hosts must list at least one host id')
    .max(10_000),
});
export type TransferHostsRequest = z.infer<typeof TransferHostsRequest>;

export const TransferHostsResponse = z.object({ moved_host_ids: z.array(z.number().int()) });

export const Policy = z.object({
  enable_disk_encryption: z.boolean(),
  logout_deadline: IsoTime.nullable(),
  max_deferrals: z.number().int().nullable(),
  reason_required: z.boolean(),
  rotate_after_reveal: z.boolean(),
});
export type Policy = z.infer<typeof Policy>;

export const Team = Policy.extend({
  id: z.number().int(),
  name: text(),
  host_count: z.number().int(),
});
export type Team = z.infer<typeof Team>;

/** `GET /teams`: the caller's teams; `no_team` only for callers not limited to teams. */
export const TeamsResponse = z.object({
  teams: z.array(Team),
  no_team: Policy.extend({ host_count: z.number().int() }).nullable(),
});
export const TeamResponse = z.object({ team: Team });

// --- organisation (Fleet: GET/PATCH /config, org_info) ----------------------------------------------------

export const OrgInfo = z.object({
  org_name: text(),
  /** https:// or mailto: (the desktop app opens only those); '' when not set. */
  contact_url: text(),
  contact_email: text(),
  contact_phone: text(),
});
export type OrgInfo = z.infer<typeof OrgInfo>;

export const ContactUrl = text(2048)
  .trim()
  .refine(
    (u) => u === '' || /^(https:\/\/|mailto:)[^\s<>"]+$/i.test(u),
    'contact_url must start with https:// or mailto: (the desktop app opens nothing else)',
  );
export const ContactEmail = text(254)
  .trim()
  .refine((e) => e === '' || z.email().safeParse(e).success, 'contact_email is not a valid address');
export const ContactPhone = text(64)
  .trim()
  .regex(/^[0-9+()./\s-]*$/, 'contact_phone may hold digits, spaces and + ( ) . / - only');

/** `PATCH /config`: absent fields keep their value; '' clears one. */
export const UpdateOrgRequest = z.object({
  org_info: z.object({
    org_name: text(256).trim().min(1, 'org_name must not be empty').optional(),
    contact_url: ContactUrl.optional(),
    contact_email: ContactEmail.optional(),
    contact_phone: ContactPhone.optional(),
  }),
});
export type UpdateOrgRequest = z.infer<typeof UpdateOrgRequest>;

export const OrgResponse = z.object({ org_info: OrgInfo });
