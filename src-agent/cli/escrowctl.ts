import { parseArgs } from 'node:util';
import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { AgentClient, AgentRequestError } from '../../node-lib/agent-socket/client.js';
import { defaultSocketPath } from '../../node-lib/agent-socket/socket-paths.js';
import { errorMessage } from '../../node-lib/error-message.js';
import { AGENT_VERSION } from '../version.js';
import { localTime, statusLines } from './escrowctl-words.js';
import { readPassphraseFromStream, readPassphraseFromTty } from './read-passphrase.js';

/** Stable exit codes: scripts match on them (README, "escrowctl"). */
const EXIT = {
  ok: 0,
  failed: 1,
  wrongPassphrase: 2,
  notPermitted: 3,
  agentUnavailable: 4,
  cooldown: 5,
  queued: 6,
  notNeeded: 7,
  busy: 8,
  usage: 64,
} as const;

const USAGE = `usage: escrowctl [--socket PATH] status [--json]
       escrowctl [--socket PATH] escrow-luks
       escrowctl --version
       escrowctl COMMAND --help

  status        show what the escrow agent knows (--json: the DeviceStatus object)
  escrow-luks   save a new recovery key for the disk and hand it to the escrow server; reads the
                current disk passphrase from stdin (one trailing newline is removed) or asks for it
                on a terminal without echo
  --socket PATH the agent's socket (default ${defaultSocketPath('linux')})

exit codes:
  0 done (status shown, or the key is escrowed)     5 too many wrong passphrases; wait (cool-down)
  1 the escrow failed (see message)                 6 key saved on the disk, upload queued: the agent
  2 wrong or unusable passphrase                      sends it when the server is reachable
  3 not permitted for this user                     7 nothing to do: a key is already escrowed
  4 the agent is not running or not reachable       8 busy: another escrow is running
 64 usage error
`;

/** `escrowctl COMMAND --help`: the command's options, one line each. */
const COMMAND_HELP: Record<string, string> = {
  status: `usage: escrowctl [--socket PATH] status [--json]
  show what the escrow agent knows about this computer, in plain words
  --json         the DeviceStatus object instead (for scripts)
  --socket PATH  the agent's socket (default ${defaultSocketPath('linux')})
`,
  'escrow-luks': `usage: escrowctl [--socket PATH] escrow-luks
  create a new recovery key for the disk and hand it to the escrow server; the current disk passphrase
  is read from stdin (one trailing newline removed) or asked for on a terminal without echo
  --socket PATH  the agent's socket (default ${defaultSocketPath('linux')})
exit codes: see escrowctl --help
`,
};

const STEP_TEXT: Record<ProgressStep, string> = {
  checking_passphrase: 'Checking the passphrase…',
  creating_key: 'Creating a new recovery key…',
  saving_to_disk: 'Saving the key on the disk…',
  verifying: 'Checking that the new key opens the disk…',
  uploading: 'Sending the key to the escrow server…',
  checking_recovery_key: 'Checking the recovery key…',
  setting_passphrase: 'Adding the new passphrase…',
  removing_old_passphrase: 'Removing the forgotten passphrase…',
};

function exitCodeFor(err: unknown): number {
  if (!(err instanceof AgentRequestError)) return EXIT.failed;
  switch (err.code) {
    case 'wrong_passphrase':
    case 'invalid_passphrase':
      return EXIT.wrongPassphrase;
    case 'not_permitted':
      return EXIT.notPermitted;
    case 'agent_unavailable':
    case 'connection_closed':
    case 'timeout':
    case 'protocol_mismatch':
      return EXIT.agentUnavailable;
    case 'cooldown':
      return EXIT.cooldown;
    case 'not_needed':
      return EXIT.notNeeded;
    case 'busy':
      return EXIT.busy;
    default:
      return EXIT.failed;
  }
}

function describeError(err: unknown, socketPath: string): string {
  if (!(err instanceof AgentRequestError)) return errorMessage(err);
  const d = err.details;
  if (err.code === 'agent_unavailable') {
    const check =
      process.platform === 'darwin'
        ? 'sudo launchctl print system/com.escrowdesktop.agent'
        : 'systemctl status escrow-agent';
    return `${err.message} (tried ${socketPath}); check it with: ${check}`;
  }
  if (err.code === 'wrong_passphrase' && d?.attemptsLeft !== undefined) {
    return `${err.message} Attempts left: ${d.attemptsLeft}.`;
  }
  if (err.code === 'cooldown' && d?.until) return `${err.message} Try again after ${localTime(d.until)}.`;
  if (err.code === 'not_needed')
    return 'Nothing to do: the escrow server already holds a recovery key for this disk.';
  return err.message;
}

async function escrowLuks(client: AgentClient): Promise<number> {
  const passphrase = process.stdin.isTTY
    ? await readPassphraseFromTty(process.stdin, process.stderr, 'Current disk passphrase: ')
    : await readPassphraseFromStream(process.stdin);
  client.on('event', (e) => {
    if (e.event === 'progress') process.stderr.write(`${STEP_TEXT[e.data.step]}\n`);
  });
  try {
    const r = await client.request('recoveryKey.create', {}, passphrase);
    if (r.outcome === 'queued') {
      process.stdout.write(
        `The new key is saved in slot ${r.keySlot}; the escrow server is not reachable, the agent will send it.\n`,
      );
      return EXIT.queued;
    }
    process.stdout.write(
      `Escrowed: key slot ${r.keySlot} at ${localTime(r.escrowedAt ?? new Date().toISOString())}.\n`,
    );
    return EXIT.ok;
  } finally {
    passphrase.fill(0);
  }
}

async function main(argv: string[]): Promise<number> {
  let values: { socket?: string; json?: boolean; help?: boolean; version?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        socket: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`escrowctl: ${errorMessage(err)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const command = positionals[0];
  if (values.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return EXIT.ok;
  }
  if (values.help) {
    process.stdout.write((command && COMMAND_HELP[command]) || USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1 || (command !== 'status' && command !== 'escrow-luks')) {
    process.stderr.write(
      `escrowctl: ${command ? `unknown command ${command}` : 'a command is needed'}\n\n${USAGE}`,
    );
    return EXIT.usage;
  }
  if (values.json && command !== 'status') {
    process.stderr.write(`escrowctl: --json goes with status\n\n${USAGE}`);
    return EXIT.usage;
  }
  let client: AgentClient | null = null;
  const socketPath = values.socket ?? defaultSocketPath();
  try {
    client = await AgentClient.connect({
      socketPath,
      clientName: 'escrowctl',
      clientVersion: AGENT_VERSION,
      // An escrow with the default argon2 KDF takes seconds to tens of seconds; allow for slow disks.
      timeoutMs: 5 * 60_000,
    });
    if (command === 'status') {
      const status = await client.request('status.get', {});
      if (values.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(`${statusLines(status).join('\n')}\n`);
      return EXIT.ok;
    }
    return await escrowLuks(client);
  } catch (err) {
    process.stderr.write(`escrowctl: ${describeError(err, socketPath)}\n`);
    return exitCodeFor(err);
  } finally {
    client?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`escrowctl: ${err.message}\n`);
    process.exitCode = EXIT.failed;
  },
);
