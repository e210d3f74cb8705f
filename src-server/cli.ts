import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Role } from '../ipc/admin/admin-api.js';
import { errorMessage } from '../node-lib/error-message.js';
import { createLogger } from '../node-lib/logger.js';
import {
  addUser,
  CliInputError,
  listTokens,
  passwordFromStdin,
  revokeToken,
  setOrg,
  teamIds,
} from './admin-cli.js';
import { addEscrowKeyGeneration, hasEscrowKeys } from './escrow/key-files.js';
import { AlreadyInitializedError, addAdminToken, initDataDir } from './init.js';
import { backupCommand } from './operations/backup-cli.js';
import { startServer } from './server.js';
import { BreakGlassError, breakGlass } from './sso/break-glass-cli.js';
import type { SsoOptions } from './sso/context.js';
import { parseRoleMap, type RoleMapEntry, RoleMapError } from './sso/role-map.js';
import { SsoConfigError, ssoSettings } from './sso/sso-config-file.js';

const USAGE = `usage:
  escrow-server init --data-dir DIR [--database postgres://…] [--json]
  escrow-server serve --data-dir DIR --listen HOST:PORT [--database postgres://…]
                      [--tls-cert FILE --tls-key FILE] [--rotate-key-after-read]
                      [--max-connections N] [--max-connections-per-address N] [--keep-alive-timeout SECONDS]
                      [--console-dir DIR] [--public-url URL] [--metrics-listen HOST:PORT]
                      [--trusted-proxy ADDRESS[/BITS]]…
                      [--oidc-issuer URL --oidc-client-id ID --oidc-client-secret-file FILE
                       [--oidc-role-map GROUP=ROLE[@TEAM+TEAM],…] [--oidc-groups-claim groups]
                       [--oidc-scopes "email profile"] [--disable-password-login]]
                      [--sso-config FILE]   (the same settings as JSON: src-server/sso/README.md)
  escrow-server break-glass --data-dir DIR [--database postgres://…] --email EMAIL [--url URL]
  escrow-server rotate-escrow-cert --data-dir DIR
  escrow-server backup --data-dir DIR [--database postgres://…] --out FILE (--passphrase-stdin | --passphrase-fd N)
  escrow-server restore --data-dir DIR [--database postgres://…] --in FILE (--passphrase-stdin | --passphrase-fd N)
  escrow-server add-admin-token --data-dir DIR [--database postgres://…] --role ROLE [--name NAME]
                      [--team TEAM]… [--expires-in-days N]
  escrow-server list-admin-tokens --data-dir DIR [--database postgres://…] [--json]
  escrow-server revoke-admin-token --data-dir DIR [--database postgres://…] --id N
  escrow-server add-user --data-dir DIR [--database postgres://…] --email EMAIL --role ROLE
                      [--team TEAM]… [--name NAME] --password-stdin [--json]
  escrow-server set-org --data-dir DIR [--database postgres://…] [--name NAME] [--contact-url URL]
                      [--contact-email EMAIL] [--contact-phone PHONE] [--json]

  Single sign-on: register URL/sso/callback (URL = --public-url, default the listen address) as the
  redirect URI at the identity provider. --oidc-role-map gives console roles by group, e.g.
  'it-admins=admin,servicedesk=helpdesk,hd-berlin=helpdesk@Berlin'; anyone who signs in may use
  My devices (/my-device/). break-glass prints a one-time console link (10 minutes) for EMAIL, an admin.

  ROLE: admin | maintainer | helpdesk | observer. TEAM: a team's name or id (repeat for several); a user or
  token with --team sees only those teams' hosts.
`;

class UsageError extends Error {}

/** The single sign-on flags of serve; the client secret comes from a file (never argv). */
async function ssoOptions(o: ReturnType<typeof options>['values']) {
  const issuer = o['oidc-issuer'];
  const out: { sso?: SsoOptions; disablePasswordLogin?: boolean; publicUrl?: string } = {};
  if (o['public-url']) {
    if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(o['public-url']))
      throw new UsageError('--public-url must be an http(s) URL');
    out.publicUrl = o['public-url'];
  }
  if (!issuer) {
    if (o['oidc-client-id'] || o['oidc-client-secret-file'] || o['oidc-role-map'])
      throw new UsageError('the --oidc-* options need --oidc-issuer');
    if (o['disable-password-login'])
      throw new UsageError('--disable-password-login needs single sign-on (--oidc-issuer …)');
    return out;
  }
  let roleMap: RoleMapEntry[] = [];
  try {
    roleMap = parseRoleMap(o['oidc-role-map'] ?? '');
  } catch (err) {
    if (err instanceof RoleMapError) throw new UsageError(`--oidc-role-map: ${err.message}`);
    throw err;
  }
  const secretFile = required(o['oidc-client-secret-file'], '--oidc-client-secret-file');
  const clientSecret = (await readFile(secretFile, 'utf8')).trim();
  if (clientSecret === '') throw new UsageError(`${secretFile} is empty`);
  out.sso = {
    issuer,
    clientId: required(o['oidc-client-id'], '--oidc-client-id'),
    clientSecret,
    roleMap,
    ...(o['oidc-groups-claim'] ? { groupsClaim: o['oidc-groups-claim'] } : {}),
    ...(o['oidc-scopes'] ? { scopes: o['oidc-scopes'] } : {}),
  };
  out.disablePasswordLogin = o['disable-password-login'];
  return out;
}

const Listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/, '--listen must be HOST:PORT, e.g. 127.0.0.1:8080')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((l) => l.port <= 65535, '--listen port must be at most 65535');

function options(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        database: { type: 'string' },
        json: { type: 'boolean', default: false },
        listen: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'rotate-key-after-read': { type: 'boolean', default: false },
        'max-connections': { type: 'string' },
        'max-connections-per-address': { type: 'string' },
        'keep-alive-timeout': { type: 'string' },
        'console-dir': { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        team: { type: 'string', multiple: true },
        'expires-in-days': { type: 'string' },
        id: { type: 'string' },
        email: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        'contact-url': { type: 'string' },
        'contact-email': { type: 'string' },
        'contact-phone': { type: 'string' },
        'public-url': { type: 'string' },
        'sso-config': { type: 'string' },
        'oidc-issuer': { type: 'string' },
        'oidc-client-id': { type: 'string' },
        'oidc-client-secret-file': { type: 'string' },
        'oidc-role-map': { type: 'string' },
        'oidc-groups-claim': { type: 'string' },
        'oidc-scopes': { type: 'string' },
        'disable-password-login': { type: 'boolean', default: false },
        url: { type: 'string' },
        'metrics-listen': { type: 'string' },
        'trusted-proxy': { type: 'string', multiple: true },
        out: { type: 'string' },
        in: { type: 'string' },
        'passphrase-stdin': { type: 'boolean', default: false },
        'passphrase-fd': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
}

/** A whole number flag; undefined when not given. */
function count(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

/**
 * Connection limits from the flags: --max-connections (default: what the open-file limit allows),
 * --max-connections-per-address (default 1024; 0 = no cap; NAT'd fleets may need more), and
 * --keep-alive-timeout in seconds (default 10; above a load balancer's idle timeout when one sits in front).
 */
function connectionFlags(o: ReturnType<typeof options>['values']) {
  const max = count(o['max-connections'], '--max-connections', 1, 10_000_000);
  const perAddress = count(o['max-connections-per-address'], '--max-connections-per-address', 0, 10_000_000);
  const keepAlive = count(o['keep-alive-timeout'], '--keep-alive-timeout', 1, 3600);
  return {
    ...(max === undefined ? {} : { maxConnections: max }),
    ...(perAddress === undefined ? {} : { maxConnectionsPerAddress: perAddress }),
    ...(keepAlive === undefined ? {} : { keepAliveTimeoutMs: keepAlive * 1000 }),
  };
}

/** --metrics-listen HOST:PORT: Prometheus metrics on their own (never the public) address. */
function metricsFlag(v: string | undefined) {
  if (v === undefined) return {};
  const listen = Listen.safeParse(v);
  if (!listen.success) throw new UsageError(`--metrics-listen: ${listen.error.issues[0]?.message ?? 'bad'}`);
  return { metrics: listen.data };
}

/** --trusted-proxy: a load balancer's address or network (IPv4 or IPv6, optional /bits), repeatable. */
function trustedProxyFlag(v: string[] | undefined) {
  if (!v) return {};
  const ProxyAddress = z
    .string()
    .max(64)
    .refine(
      (s) => {
        const [ip = '', bits, ...rest] = s.split('/');
        const family = isIP(ip);
        if (family === 0 || rest.length > 0) return false;
        return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
      },
      { message: '--trusted-proxy must be an IP address or a network like 10.0.0.0/24' },
    );
  for (const p of v) {
    const r = ProxyAddress.safeParse(p);
    if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'bad --trusted-proxy');
  }
  return { trustedProxies: v };
}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
}

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = options(argv);
  const command = positionals[0];
  if (o.help || !command) {
    process.stdout.write(USAGE);
    return o.help ? 0 : 2;
  }
  const db = o.database ? { databaseUrl: o.database } : {};
  switch (command) {
    case 'init': {
      const r = await initDataDir({ dataDir: required(o['data-dir'], '--data-dir'), ...db });
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        process.stdout.write(
          `Initialized.\nEnroll secret (give it to agents): ${r.enroll_secret}\n` +
            `Admin API token (shown once): ${r.admin_token}\nEscrow certificate: ${r.escrow_certificate_path}\n`,
        );
      }
      return 0;
    }
    case 'serve': {
      const sso = await ssoSettings(o).catch((err: unknown) => {
        throw err instanceof SsoConfigError ? new UsageError(err.message) : err;
      });
      const listen = Listen.safeParse(required(o.listen, '--listen'));
      if (!listen.success) throw new UsageError(listen.error.issues[0]?.message ?? 'bad --listen');
      if (Boolean(o['tls-cert']) !== Boolean(o['tls-key']))
        throw new UsageError('give both --tls-cert and --tls-key');
      const server = await startServer({
        dataDir: required(o['data-dir'], '--data-dir'),
        host: listen.data.host,
        port: listen.data.port,
        ...db,
        ...(o['tls-cert'] && o['tls-key'] ? { tls: { certPath: o['tls-cert'], keyPath: o['tls-key'] } } : {}),
        rotateKeyAfterRead: o['rotate-key-after-read'],
        connections: connectionFlags(o),
        ...(o['console-dir'] ? { consoleDir: o['console-dir'] } : {}),
        ...(await ssoOptions(sso)),
        ...metricsFlag(o['metrics-listen']),
        ...trustedProxyFlag(o['trusted-proxy']),
      });
      // The service's output is JSON lines only (the journal, a log shipper): the addresses too.
      const base = (sso['public-url'] ?? server.url).replace(/\/+$/, '');
      createLogger('escrow-server').info(
        {
          url: server.url,
          admin_console: `${server.url}/admin/`,
          ...(server.metricsUrl ? { metrics: server.metricsUrl } : {}),
          ...(sso['oidc-issuer']
            ? { sso_redirect_uri: `${base}/sso/callback`, my_devices: `${base}/my-device/` }
            : {}),
        },
        `admin console at ${server.url}/admin/`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        process.on('SIGHUP', () => void server.reloadEscrowKeys());
      });
      return 0;
    }
    case 'rotate-escrow-cert': {
      const dataDir = required(o['data-dir'], '--data-dir');
      if (!(await hasEscrowKeys(dataDir)))
        throw new UsageError(`${dataDir} has no escrow certificate; run init first`);
      const g = await addEscrowKeyGeneration(dataDir);
      process.stdout.write(
        `New escrow certificate ${g.certificatePath}; earlier keys are kept and still decrypt. ` +
          'A running server picks it up within seconds (or send it SIGHUP).\n',
      );
      return 0;
    }
    case 'add-admin-token': {
      const role = Role.safeParse(o.role);
      if (!role.success) throw new UsageError(`--role must be one of ${Role.options.join(', ')}`);
      const dataDir = required(o['data-dir'], '--data-dir');
      const days = o['expires-in-days'];
      if (days !== undefined && !/^[1-9]\d{0,3}$/.test(days))
        throw new UsageError('--expires-in-days must be 1–9999');
      const token = await addAdminToken({
        dataDir,
        ...db,
        role: role.data,
        name: o.name ?? `${role.data} token`,
        teams: await teamIds({ dataDir, ...db }, o.team ?? []),
        expiresAt: days === undefined ? null : new Date(Date.now() + Number(days) * 86_400_000).toISOString(),
      });
      process.stdout.write(`${token}\n`);
      return 0;
    }
    case 'list-admin-tokens': {
      const tokens = await listTokens({ dataDir: required(o['data-dir'], '--data-dir'), ...db });
      if (o.json) process.stdout.write(`${JSON.stringify({ api_tokens: tokens })}\n`);
      else {
        for (const t of tokens) {
          const state = t.revoked_at
            ? 'revoked'
            : t.expires_at && Date.parse(t.expires_at) < Date.now()
              ? 'expired'
              : 'active';
          const teams = t.teams ? ` teams ${t.teams.join(',')}` : '';
          process.stdout.write(
            `#${t.id} ${t.name} (${t.role}${teams}) ${state}, expires ${t.expires_at ?? 'never'}\n`,
          );
        }
      }
      return 0;
    }
    case 'revoke-admin-token': {
      const id = o.id;
      if (!id || !/^\d{1,9}$/.test(id))
        throw new UsageError('--id must be a token number (see list-admin-tokens)');
      if (!(await revokeToken({ dataDir: required(o['data-dir'], '--data-dir'), ...db, id: Number(id) }))) {
        throw new CliInputError(`no active token #${id}`);
      }
      process.stdout.write(`Token #${id} revoked.\n`);
      return 0;
    }
    case 'add-user': {
      if (!o['password-stdin'])
        throw new UsageError('give the password on stdin with --password-stdin (never in argv)');
      const user = await addUser({
        dataDir: required(o['data-dir'], '--data-dir'),
        ...db,
        email: required(o.email, '--email'),
        role: required(o.role, '--role'),
        teams: o.team ?? [],
        ...(o.name === undefined ? {} : { name: o.name }),
        password: passwordFromStdin(await text(process.stdin)),
      });
      if (o.json) process.stdout.write(`${JSON.stringify({ user })}\n`);
      else
        process.stdout.write(
          `Added ${user.email} (${user.role}${user.teams ? `, teams ${user.teams.join(',')}` : ''}).\n`,
        );
      return 0;
    }
    case 'set-org': {
      const org = await setOrg({
        dataDir: required(o['data-dir'], '--data-dir'),
        ...db,
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o['contact-url'] === undefined ? {} : { contactUrl: o['contact-url'] }),
        ...(o['contact-email'] === undefined ? {} : { contactEmail: o['contact-email'] }),
        ...(o['contact-phone'] === undefined ? {} : { contactPhone: o['contact-phone'] }),
      });
      if (o.json) process.stdout.write(`${JSON.stringify({ org_info: org })}\n`);
      else
        process.stdout.write(
          `Organisation: ${JSON.stringify(org)}\nA running server sends it to agents within seconds.\n`,
        );
      return 0;
    }
    case 'break-glass': {
      const dataDir = required(o['data-dir'], '--data-dir');
      const r = await breakGlass({
        dataDir,
        ...db,
        email: required(o.email, '--email'),
        url: o.url ?? 'https://ESCROW-SERVER',
      });
      process.stdout.write(
        `${r.created ? `Made the admin account ${o.email}.\n` : ''}One-time admin console link (until ${r.expiresAt}):\n${r.link}\n` +
          (o.url ? '' : "Replace https://ESCROW-SERVER with the server's address (or pass --url).\n"),
      );
      return 0;
    }
    case 'backup':
    case 'restore': {
      process.stdout.write(
        await backupCommand(command, {
          dataDir: required(o['data-dir'], '--data-dir'),
          database: o.database,
          out: o.out,
          in: o.in,
          passphraseStdin: o['passphrase-stdin'],
          passphraseFd: o['passphrase-fd'],
        }),
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`escrow-server: ${err.message}\n\n${USAGE}`);
    else if (
      err instanceof AlreadyInitializedError ||
      err instanceof CliInputError ||
      err instanceof BreakGlassError
    )
      process.stderr.write(`escrow-server: ${err.message}\n`);
    else process.stderr.write(`escrow-server: ${errorMessage(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
