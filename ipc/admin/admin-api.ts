import { z } from 'zod';
import { text } from '../schema-helpers.js';

/**
 * Admin API bodies and query strings (Fleet's paths and names; `Authorization: Bearer <admin token>`).
 * Responses are built from the status rules and documented in docs; requests are what must be validated.
 */

/** Ids are 32-bit in both databases (PostgreSQL INTEGER): a larger one is a 400, not a database error. */
const MAX_ID = 2 ** 31 - 1;

/** Fleet's "No team" is team_id null (older clients send 0). */
const TeamId = z.union([
  z.number().int().positive().max(MAX_ID),
  z.literal(0).transform(() => null),
  z.null(),
]);

export const DiskEncryptionRequest = z
  .object({
    team_id: TeamId.optional(),
    /** Newer Fleet versions call teams "fleets" and send `fleet_id`; accepted as the same thing. */
    fleet_id: TeamId.optional(),
    enable_disk_encryption: z.boolean(),
    /** Ours: escrow must be done by then (ISO time); null clears it, absent keeps it. */
    logout_deadline: z.iso
      .datetime({ offset: true })
      .transform((s) => new Date(s).toISOString()) // agents get UTC ("Z"), whatever offset was sent
      .nullable()
      .optional(),
    /** Ours: how many times the user may postpone the prompt; null clears it, absent keeps it. */
    max_deferrals: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.team_id === undefined && v.fleet_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['team_id'],
        message: 'team_id (or fleet_id) is required; null means "no team"',
      });
    } else if (v.team_id !== undefined && v.fleet_id !== undefined && v.team_id !== v.fleet_id) {
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

export const CreateTeamRequest = z.object({ name: text(255).trim().min(1, 'name is required') });
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

export const TransferHostsRequest = z.object({
  team_id: TeamId,
  hosts: z
    .array(z.number().int().positive().max(MAX_ID))
    .min(1, 'hosts must list at least one host id')
    .max(10_000),
});
export type TransferHostsRequest = z.infer<typeof TransferHostsRequest>;

/** `?team_id=` on list/summary: absent = all hosts, 0 = "No team", n = that team. */
export const TeamFilterQuery = z.object({
  team_id: z.coerce.number().int().min(0).max(MAX_ID).optional(),
});

export const HostIdParams = z.object({ id: z.coerce.number().int().positive().max(MAX_ID) });

export const ActivitiesQuery = z.object({
  per_page: z.coerce.number().int().min(1).max(1000).default(100),
  after_id: z.coerce.number().int().min(0).max(MAX_ID).optional(),
});

export const Role = z.enum(['admin', 'observer']);
export type Role = z.infer<typeof Role>;
