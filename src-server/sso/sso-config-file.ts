import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/**
 * `serve --sso-config FILE`: the single sign-on settings in a JSON file instead of flags, for deployments
 * that keep their settings in files. One key per flag, with the flag's meaning; the client secret still
 * comes from its own file (a relative path is read beside this file). The file and the flags are never
 * mixed, so one place says how people sign in.
 *
 *   { "oidc_issuer": "https://login.example.com", "oidc_client_id": "escrow",
 *     "oidc_client_secret_file": "client-secret", "oidc_role_map": "it-admins=admin,servicedesk=helpdesk",
 *     "public_url": "https://escrow.example.com", "disable_password_login": true }
 */
const SsoConfigFile = z.strictObject({
  oidc_issuer: z.url({ protocol: /^https?$/, error: 'oidc_issuer must be an http(s) URL' }),
  oidc_client_id: z.string().min(1).max(256),
  oidc_client_secret_file: z.string().min(1).max(4096),
  oidc_role_map: z.string().max(8192).optional(),
  oidc_groups_claim: z.string().min(1).max(128).optional(),
  oidc_scopes: z.string().max(512).optional(),
  public_url: z.string().max(2048).optional(),
  disable_password_login: z.boolean().optional(),
});

/** The flags the file stands for, named as on the command line. */
export const SSO_FLAGS = [
  'oidc-issuer',
  'oidc-client-id',
  'oidc-client-secret-file',
  'oidc-role-map',
  'oidc-groups-claim',
  'oidc-scopes',
  'public-url',
  'disable-password-login',
] as const;
export type SsoFlagValues = {
  [K in Exclude<(typeof SSO_FLAGS)[number], 'disable-password-login'>]?: string;
} & {
  'disable-password-login'?: boolean;
};

/** A settings file is small; anything larger is a wrong path, not settings. */
const MAX_BYTES = 64 * 1024;

export class SsoConfigError extends Error {}

/** Reads and checks the file; every problem is one sentence that names the file (and the key). */
export async function readSsoConfigFile(file: string): Promise<SsoFlagValues> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_BYTES) throw new SsoConfigError(`${file} is larger than 64 KiB`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof SsoConfigError) throw err;
    throw new SsoConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SsoConfigError(`${file} is not JSON`);
  }
  const parsed = SsoConfigFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new SsoConfigError(`${file}: ${where}${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  return {
    'oidc-issuer': c.oidc_issuer,
    'oidc-client-id': c.oidc_client_id,
    'oidc-client-secret-file': resolve(dirname(file), c.oidc_client_secret_file),
    ...(c.oidc_role_map !== undefined ? { 'oidc-role-map': c.oidc_role_map } : {}),
    ...(c.oidc_groups_claim !== undefined ? { 'oidc-groups-claim': c.oidc_groups_claim } : {}),
    ...(c.oidc_scopes !== undefined ? { 'oidc-scopes': c.oidc_scopes } : {}),
    ...(c.public_url !== undefined ? { 'public-url': c.public_url } : {}),
    ...(c.disable_password_login !== undefined ? { 'disable-password-login': c.disable_password_login } : {}),
  };
}

/** The flags, or the file's settings when `--sso-config` is given (refused when both are). */
export async function ssoSettings<T extends SsoFlagValues & { 'sso-config'?: string | undefined }>(
  o: T,
): Promise<T & SsoFlagValues> {
  const file = o['sso-config'];
  if (!file) return o;
  const given = SSO_FLAGS.filter((f) => o[f] !== undefined && o[f] !== false);
  if (given.length > 0)
    throw new SsoConfigError(
      `--sso-config and --${given[0]} cannot be used together: put every single sign-on setting in the file`,
    );
  return { ...o, ...(await readSsoConfigFile(file)) };
}
