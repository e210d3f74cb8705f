import { readFileSync } from 'node:fs';
import type { CommandResult, CommandRunner } from '../command-runner.js';
import { formatCommandLine } from '../command-runner.js';

/**
 * Test double for the command-runner port: replays outputs recorded from real Macs
 * (src-agent/macos/fixtures, see its README). An unexpected command fails loudly, so a test can never pass
 * because the code ran something nobody recorded.
 */
export interface Recording extends CommandResult {
  argv: string[];
}

const FIXTURE_DIR = new URL('../fixtures/', import.meta.url);

interface ManifestEntry {
  argv: string[];
  code: number;
  stdout?: string;
  stderr?: string;
}

let manifest: Record<string, ManifestEntry> | undefined;

/** One named recording from src-agent/macos/fixtures/recordings.json, with its stdout/stderr files read in. */
export function loadRecording(name: string): Recording {
  manifest ??= JSON.parse(readFileSync(new URL('recordings.json', FIXTURE_DIR), 'utf8')) as Record<
    string,
    ManifestEntry
  >;
  const entry = manifest[name];
  if (!entry) throw new Error(`no recording named ${name} in src-agent/macos/fixtures/recordings.json`);
  const read = (file?: string) => (file ? readFileSync(new URL(file, FIXTURE_DIR), 'utf8') : '');
  return { argv: entry.argv, code: entry.code, stdout: read(entry.stdout), stderr: read(entry.stderr) };
}

export interface RecordedCall {
  commandLine: string;
  input?: Buffer;
}

export class FixtureRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly queues = new Map<string, CommandResult[]>();

  constructor(recordings: Recording[] = []) {
    this.add(...recordings);
  }

  /**
   * Queue outputs per command line, in order. The last output queued for a line keeps being replayed,
   * because agents poll: a state stays the same until a test queues a change.
   */
  add(...recordings: Recording[]): this {
    for (const { argv, code, stdout, stderr } of recordings) {
      const [cmd, ...args] = argv;
      if (!cmd) throw new Error('recording with an empty argv');
      const key = formatCommandLine(cmd, args);
      const queue = this.queues.get(key) ?? [];
      queue.push({ code, stdout, stderr });
      this.queues.set(key, queue);
    }
    return this;
  }

  /** The machine changed state (e.g. Escrow Buddy reset its flag at login): forget what was queued. */
  replace(...recordings: Recording[]): this {
    for (const { argv } of recordings) {
      const [cmd = '', ...args] = argv;
      this.queues.delete(formatCommandLine(cmd, args));
    }
    return this.add(...recordings);
  }

  /** The command lines run so far, in order. */
  commandLines(): string[] {
    return this.calls.map((c) => c.commandLine);
  }

  async run(cmd: string, args: string[], opts: { input?: Buffer } = {}): Promise<CommandResult> {
    const commandLine = formatCommandLine(cmd, args);
    this.calls.push({ commandLine, ...(opts.input ? { input: Buffer.from(opts.input) } : {}) });
    const queue = this.queues.get(commandLine);
    const next = queue?.length === 1 ? queue[0] : queue?.shift();
    if (!next) {
      const known = [...this.queues.keys()].join('\n  ');
      throw new Error(`FixtureRunner: unexpected command: ${commandLine}\nrecorded:\n  ${known}`);
    }
    return { ...next };
  }
}
