import { z } from 'zod';
import { text } from '../schema-helpers.js';
import { IsoTime, TeamId } from './common.js';

/**
 * Single sign-on, people linked to their computers, and the self-service portal (`/my-device/`): what the
 * console reads and changes. The browser flows themselves (`/sso/login`, `/sso/callback`, `/link`,
 * `/my-device/`) are pages, not API, and are described in src-server/sso/README.md.
 */

/** `GET /sso` (no credentials): what the console's sign-in page offers. */
export const SsoStatusResponse = z.object({
  /** Single sign-on (OpenID Connect) is configured: show "Sign in with single sign-on". */
  sso_enabled: z.boolean(),
  /** Where the button goes (a page on this server that sends the browser to the identity provider). */
  sso_login_url: text().nullable(),
  /** false with `--disable-password-login`: hide the email + password form (POST /sessions answers 403). */
  password_login: z.boolean(),
});
export type SsoStatusResponse = z.infer<typeof SsoStatusResponse>;

/** How a computer came to be linked to its person. */
export const LinkSource = z.enum(['link_code', 'admin', 'csv_import']);
export type LinkSource = z.infer<typeof LinkSource>;

/** `linked_user` of a host in the admin API. */
export const HostLinkedUser = z.object({
  email: text(),
  name: text(),
  linked_at: IsoTime,
  linked_via: LinkSource,
});
export type HostLinkedUser = z.infer<typeof HostLinkedUser>;

const PersonEmail = text(254)
  .trim()
  .pipe(z.email('email is not a valid address'))
  .transform((e) => e.toLowerCase());

/**
 * `POST /hosts/{id}/linked_user`: link the host to the person with this email (replacing any earlier
 * link). The person need not have signed in yet: when they do, with that email, they see the host.
 */
export const LinkHostRequest = z.object({ email: PersonEmail });
export type LinkHostRequest = z.infer<typeof LinkHostRequest>;
export const LinkHostResponse = z.object({ host_id: z.number().int(), linked_user: HostLinkedUser });

/** Longest CSV accepted in one import (the API's body limit is 128 KiB; split larger files). */
export const MAX_IMPORT_ROWS = 5000;

/**
 * `POST /hosts/linked_users`: link many hosts at once from CSV text, one `serial,email` per line (a first
 * line `serial,email` or `hardware_serial,email` is a header and skipped; blank lines are skipped). Each
 * serial must name exactly one host the caller may see. With `dry_run` nothing changes and the answer says
 * what would. The import is all or nothing: any bad line → 400 with every problem, nothing linked.
 */
export const ImportHostLinksRequest = z.object({
  csv: text(128 * 1024).min(1, 'csv is empty'),
  dry_run: z.boolean().default(false),
});
export type ImportHostLinksRequest = z.infer<typeof ImportHostLinksRequest>;

export const ImportHostLinksResponse = z.object({
  dry_run: z.boolean(),
  /** Hosts whose link changed (or would). */
  linked: z.array(z.object({ host_id: z.number().int(), hardware_serial: text(), email: text() })),
  /** Lines that named the link the host already has. */
  unchanged: z.number().int(),
});
export type ImportHostLinksResponse = z.infer<typeof ImportHostLinksResponse>;

/** Answer of a failed import (status 400, code `invalid_request`): one entry per bad line. */
export const ImportHostLinksError = z.object({
  error: text(),
  code: z.literal('invalid_request'),
  details: z.array(z.object({ path: text(), message: text() })),
});

/**
 * Self-service policy of a team (or "no team"): whether linked people may reveal their own computer's
 * recovery key in the portal, and how many reveals one person may make per 24 hours. Defaults: on, 3.
 */
export const SelfServicePolicy = z.object({
  team_id: z.number().int().nullable(),
  enabled: z.boolean(),
  reveals_per_day: z.number().int(),
});
export type SelfServicePolicy = z.infer<typeof SelfServicePolicy>;

export const MAX_REVEALS_PER_DAY = 50;
export const DEFAULT_SELF_SERVICE: Omit<SelfServicePolicy, 'team_id'> = { enabled: true, reveals_per_day: 3 };

/** `GET /self_service`: every team the caller may see, and "no team" for callers not limited to teams. */
export const SelfServicePoliciesResponse = z.object({ policies: z.array(SelfServicePolicy) });

/** `PATCH /self_service`: absent fields keep their value. `team_id` null (or 0) is "no team". */
export const UpdateSelfServiceRequest = z.object({
  team_id: TeamId,
  enabled: z.boolean().optional(),
  reveals_per_day: z.number().int().min(1).max(MAX_REVEALS_PER_DAY).optional(),
});
export type UpdateSelfServiceRequest = z.infer<typeof UpdateSelfServiceRequest>;
export const SelfServicePolicyResponse = z.object({ policy: SelfServicePolicy });
