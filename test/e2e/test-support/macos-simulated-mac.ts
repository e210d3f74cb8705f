import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandResult, CommandRunner } from '../../../src-agent/macos/command-runner.js';
import { formatCommandLine } from '../../../src-agent/macos/command-runner.js';
import { DEFAULT_PREFS_PATH } from '../../../src-agent/macos/escrow-buddy.js';
import { ESCROW_BUDDY_MECHANISM } from '../../../src-agent/macos/filevault-state.js';
import {
  FixtureRunner,
  loadRecording,
  type Recording,
} from '../../../src-agent/macos/test-support/fixture-runner.js';

const WRITE_TRUE = formatCommandLine('/usr/bin/defaults', [
  'write',
  DEFAULT_PREFS_PATH,
  'GenerateNewKey',
  '-bool',
  'true',
]);
const WRITE_FALSE = WRITE_TRUE.replace(/true$/, 'false');
const AUTHDB_WRITE = formatCommandLine('/usr/bin/security', [
  'authorizationdb',
  'write',
  'system.login.console',
]);

/**
 * A Mac as the agent sees it through the command-runner port: every answer is a recorded real output
 * (src-agent/macos/fixtures), and the machine moves between states the way macOS does. `defaults write` changes
 * what `defaults read` prints; writing the login right with Escrow Buddy's mechanism puts it in the right;
 * `login()` plays Escrow Buddy at the login window. Any command nobody recorded still fails loudly.
 */
export class SimulatedMac implements CommandRunner {
  readonly fixtures = new FixtureRunner(
    [
      'fdesetup-status-on',
      'fdesetup-haspersonalrecoverykey-true',
      // As after a macOS update: Escrow Buddy is installed but its mechanism was dropped from the right.
      'authdb-read-without-escrow-buddy',
      'authdb-write-ok',
      'defaults-read-generatenewkey-missing',
      'defaults-read-managed-generatenewkey-missing',
      'defaults-write-generatenewkey-true',
      'defaults-write-generatenewkey-false',
      'log-show-escrow-buddy-success',
      'ioreg-platform-expert-device',
      'sw-vers-productversion',
    ].map(loadRecording),
  );
  private generateNewKey: boolean | undefined;

  /** `prkPath` plays /var/db/FileVaultPRK.dat; `certificatePath` the MDM profile's escrow certificate. */
  constructor(
    private readonly prkPath: string,
    private readonly certificatePath: string,
  ) {}

  async run(cmd: string, args: string[], opts: { input?: Buffer } = {}): Promise<CommandResult> {
    const result = await this.fixtures.run(cmd, args, opts);
    const line = formatCommandLine(cmd, args);
    if (line === WRITE_TRUE) this.setFlag(true);
    if (line === WRITE_FALSE) this.setFlag(false);
    if (line === AUTHDB_WRITE && opts.input?.toString('utf8').includes(ESCROW_BUDDY_MECHANISM)) {
      this.fixtures.replace(loadRecording('authdb-read-with-escrow-buddy'));
    }
    return result;
  }

  /** What `defaults read … GenerateNewKey` says now (undefined: the key does not exist). */
  flag(): boolean | undefined {
    return this.generateNewKey;
  }

  /** How many times the agent armed Escrow Buddy. */
  armCount(): number {
    return this.fixtures.commandLines().filter((l) => l === WRITE_TRUE).length;
  }

  /**
   * A user logs in. With the flag up, Escrow Buddy runs `fdesetup changerecovery -personal`; macOS then
   * writes the new PRK, encrypted to the profile's certificate, by an atomic replace of FileVaultPRK.dat.
   * Escrow Buddy puts the flag down either way. Returns whether a new key was made.
   */
  async login(newPrk: string): Promise<boolean> {
    if (this.generateNewKey !== true) return false;
    await writePrkFile(this.prkPath, envelopeFor(newPrk, this.certificatePath));
    this.setFlag(false);
    return true;
  }

  /**
   * A login where `fdesetup changerecovery` fails (a smart-card login: no password to give it). Escrow Buddy
   * logs why, writes no PRK, and still puts the flag down. The recorded log is moved to now, as `log show
   * --last 1h` would print it.
   */
  async failedLogin(): Promise<boolean> {
    if (this.generateNewKey !== true) return false;
    this.fixtures.replace(recordedNow('log-show-escrow-buddy-fdesetup-failed'));
    this.setFlag(false);
    return true;
  }

  private setFlag(value: boolean) {
    this.generateNewKey = value;
    this.fixtures.replace(loadRecording(`defaults-read-generatenewkey-${value ? 1 : 0}`));
  }
}

/** A `log show` recording with its timestamps replaced by consecutive milliseconds from now (UTC). */
function recordedNow(name: string): Recording {
  const r = loadRecording(name);
  let at = Date.now();
  const stdout = r.stdout.replace(/"timestamp" : "[^"]+"/g, () => {
    const iso = new Date(at++).toISOString(); // 2026-03-02T09:00:00.123Z
    return `"timestamp" : "${iso.slice(0, 10)} ${iso.slice(11, 23)}000+0000"`;
  });
  return { ...r, stdout };
}

/** `openssl cms -encrypt` (PKCS#1 v1.5 key transport, as macOS) to `certificatePath`, DER; PRK on stdin. */
export function envelopeFor(prk: string, certificatePath: string): Buffer {
  return execFileSync(
    'openssl',
    ['cms', '-encrypt', '-binary', '-outform', 'DER', '-recip', certificatePath],
    {
      input: Buffer.from(prk, 'ascii'),
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
}

/** Like macOS: write a temp file beside it, then rename over it (a new inode each time). */
export async function writePrkFile(prkPath: string, bytes: Buffer): Promise<void> {
  const tmp = path.join(path.dirname(prkPath), `.FileVaultPRK.${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, bytes, { mode: 0o600 });
  await rename(tmp, prkPath);
}
