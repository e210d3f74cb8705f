import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Role } from '../ipc/admin/admin-api.js';
import { errorMessage } from '../node-lib/error-message.js';
import { addEscrowKeyGeneration, hasEscrowKeys } from './escrow/key-files.js';
import { AlreadyInitializedError, addAdminToken, initDataDir } from './init.js';
import { startServer } from './server.js';

const USAGE = `usage:
  escrow-server init --data-dir DIR [--database postgres://…] [--json]
  escrow-server serve --data-dir DIR --listen HOST:PORT [--database postgres://…]
                      [--tls-cert FILE --tls-key FILE] [--rotate-key-after-read]
                      [--max-connections N] [--max-connections-per-address N] [--keep-alive-timeout SECONDS]
  escrow-server rotate-escrow-cert --data-dir DIR
  escrow-server add-admin-token --data-dir DIR [--database postgres://…] --role admin|observer [--name NAME]
`;

class UsageError extends Error {}

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
        role: { type: 'string' },
        name: { type: 'string' },
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
      });
      process.stderr.write(`escrow-server listening on ${server.url}\n`);
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
      if (!role.success) throw new UsageError('--role must be admin or observer');
      const token = await addAdminToken({
        dataDir: required(o['data-dir'], '--data-dir'),
        ...db,
        role: role.data,
        name: o.name ?? `${role.data} token`,
      });
      process.stdout.write(`${token}\n`);
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
    else if (err instanceof AlreadyInitializedError) process.stderr.write(`escrow-server: ${err.message}\n`);
    else process.stderr.write(`escrow-server: ${errorMessage(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
