import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultSocketPath } from '../../node-lib/agent-socket/socket-paths.js';
import { errorMessage } from '../../node-lib/error-message.js';
import { createLogger } from '../../node-lib/logger.js';
import { CrashPoint } from '../linux/crash-point.js';
import type { SlotPbkdf } from '../linux/cryptsetup.js';
import { startAgent } from '../start-agent.js';
import { AGENT_VERSION } from '../version.js';

const USAGE = `usage: escrow-agent run --server URL --enroll-secret-file FILE --state-dir DIR
                        [--ca-file FILE] [--socket PATH] [--luks-device PATH] [--allow-user NAME]...
                        [--new-slot-pbkdf default|fast] [--log-level LEVEL]
       escrow-agent --version

  --server URL             escrow server, e.g. https://escrow.example.com (http only on loopback)
  --enroll-secret-file F   file holding the enroll secret (read when enrolling; keep it 0600)
  --ca-file FILE           PEM certificate(s) to trust for the server besides the public roots: your
                           organisation's CA, or the server's own self-signed certificate (default: the
                           ESCROW_CA_FILE environment variable, which agent.conf sets for the service)
  --state-dir DIR          root-only directory for the node key, journal, reminders and (macOS) the
                           sent-PRK hashes and log-out deferrals
  --socket PATH            IPC socket (default ${defaultSocketPath()})
  --luks-device PATH       Linux: LUKS2 device or image file (default: the device behind /)
  --allow-user NAME        also let this account request escrow (repeatable)
  --new-slot-pbkdf MODE    Linux: default: pbkdf2/sha512/1000 iterations for the escrow slot (a 256-bit key
                           needs no slow KDF); fast: the same with sha256 (tests only)
  --log-level LEVEL        trace, debug, info (default), warn, error

exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 failed to start or crashed, 2 usage error,
            78 configuration that a restart cannot fix (e.g. --luks-device names nothing; systemd does not
            restart the agent after it)
`;

class UsageError extends Error {}

/** EX_CONFIG: the unit's RestartPreventExitStatus, as for the launcher's refusals. */
const EXIT_CONFIG = 78;

/** Tests pass the fast KDF to both luksFormat and luksAddKey (docs: linux-luks.md). */
const PBKDF: Record<string, SlotPbkdf | undefined> = {
  default: undefined,
  fast: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 },
};

function parse(argv: string[]) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  const v = parsed.values;
  const need = (name: keyof typeof v & string) => {
    const value = v[name];
    if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
    return value;
  };
  const pbkdfName = v['new-slot-pbkdf'] ?? 'default';
  if (!(pbkdfName in PBKDF)) throw new UsageError('--new-slot-pbkdf must be default or fast');
  const crash = v['test-crash-at'] === undefined ? undefined : CrashPoint.safeParse(v['test-crash-at']);
  if (crash && !crash.success)
    throw new UsageError(`--test-crash-at must be one of ${CrashPoint.options.join(', ')}`);
  const serverText = need('server');
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    throw new UsageError('--server must be a URL such as https://escrow.example.com');
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:')
    throw new UsageError('--server must be http(s)');
  if (server.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(server.hostname)) {
    throw new UsageError('--server must use https unless it is on this computer (loopback)');
  }
  return {
    command: parsed.positionals[0],
    extra: parsed.positionals.slice(1),
    help: v.help === true,
    version: v.version === true,
    serverUrl: server.toString().replace(/\/$/, ''),
    caPem: readCaFile(v['ca-file'] ?? (process.env.ESCROW_CA_FILE || undefined)),
    enrollSecretFile: need('enroll-secret-file'),
    stateDir: need('state-dir'),
    socketPath: v.socket ?? defaultSocketPath(),
    luksDevice: v['luks-device'],
    allowUsers: v['allow-user'] ?? [],
    newSlotPbkdf: PBKDF[pbkdfName],
    logLevel: v['log-level'] ?? 'info',
    testCrashAt: crash?.success ? crash.data : undefined,
  };
}

/** The --ca-file's certificates, checked now: a wrong file is a usage error, not a TLS failure later. */
function readCaFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--ca-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(err)}`,
    );
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    const hint = /PRIVATE KEY-----/.test(pem)
      ? ' (it holds a private key: give the certificate instead)'
      : '';
    throw new UsageError(`--ca-file ${file}: no PEM certificate in it${hint}`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new UsageError(`--ca-file ${file}: a certificate in it cannot be read (${errorMessage(err)})`);
    }
  }
  return blocks.join('\n');
}

const OPTIONS = {
  server: { type: 'string' },
  'ca-file': { type: 'string' },
  'enroll-secret-file': { type: 'string' },
  'state-dir': { type: 'string' },
  socket: { type: 'string' },
  'luks-device': { type: 'string' },
  'allow-user': { type: 'string', multiple: true },
  'new-slot-pbkdf': { type: 'string' },
  'log-level': { type: 'string' },
  /** Hidden, TEST ONLY: SIGKILL the agent at an escrow step boundary (crash-recovery tests). */
  'test-crash-at': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  let o: ReturnType<typeof parse>;
  try {
    if (argv[0] !== 'run') throw new UsageError(`unknown command ${argv[0] ?? ''}; the only command is run`);
    o = parse(argv);
    if (o.extra.length > 0) throw new UsageError(`unexpected argument ${o.extra[0]}`);
    // A path that names nothing would otherwise read as "no LUKS disk here, nothing to do".
    if (o.luksDevice && !existsSync(o.luksDevice)) {
      process.stderr.write(
        `escrow-agent: --luks-device ${o.luksDevice} does not exist; give the LUKS2 partition (lsblk -f lists them as crypto_LUKS)\n`,
      );
      return EXIT_CONFIG;
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`escrow-agent: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const log = createLogger('escrow-agent', { level: o.logLevel });
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent({
      serverUrl: o.serverUrl,
      ...(o.caPem ? { caPem: o.caPem } : {}),
      enrollSecretFile: o.enrollSecretFile,
      stateDir: o.stateDir,
      socketPath: o.socketPath,
      allowUsers: o.allowUsers,
      log,
      ...(o.luksDevice ? { luksDevice: o.luksDevice } : {}),
      ...(o.newSlotPbkdf ? { newSlotPbkdf: o.newSlotPbkdf } : {}),
      ...(o.testCrashAt ? { testCrashAt: o.testCrashAt } : {}),
    });
  } catch (err) {
    log.fatal({ err: errorMessage(err) }, 'escrow agent could not start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'stopping');
      agent.stop().then(
        () => resolve(0),
        (err: Error) => {
          log.error({ err: err.message }, 'unclean stop');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`escrow-agent: ${err.message}\n`);
    process.exitCode = 1;
  },
);
