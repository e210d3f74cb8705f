import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlistValue } from 'plist';
import { build, parse } from 'plist';
import type { CommandRunner } from './command-runner.js';
import { formatCommandLine } from './command-runner.js';

export const FDESETUP = '/usr/bin/fdesetup';
export const SECURITY = '/usr/bin/security';
export const LOGIN_RIGHT = 'system.login.console';
export const ESCROW_BUDDY_MECHANISM = 'Escrow Buddy:Invoke,privileged';
export const DEFAULT_ESCROW_BUDDY_BUNDLE = '/Library/Security/SecurityAgentPlugins/Escrow Buddy.bundle';
// Escrow Buddy must run after every other login mechanism has succeeded, i.e. right before this one.
const LOGIN_DONE_MECHANISM = 'loginwindow:done';

/** A plist <dict>, as the plist package parses one. */
export type PlistObject = { [key: string]: PlistValue };

export type FileVaultState = 'on' | 'encrypting' | 'decrypting' | 'off';

async function runChecked(runner: CommandRunner, cmd: string, args: string[], input?: Buffer) {
  const r = await runner.run(cmd, args, input ? { input } : undefined);
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().slice(0, 300);
    throw new Error(`${formatCommandLine(cmd, args)} exited ${r.code}: ${detail}`);
  }
  return r;
}

/**
 * `fdesetup status` prints "FileVault is On." / "FileVault is Off." and, while converting, a second line
 * "Encryption in progress: ..." or "Decryption in progress: ...". Escrow Buddy itself treats "On" as
 * encrypted and skips a disk that is decrypting; we classify the same way.
 */
export function parseFdesetupStatus(stdout: string): FileVaultState {
  if (stdout.includes('Decryption in progress')) return 'decrypting';
  if (stdout.includes('Encryption in progress')) return 'encrypting';
  if (stdout.includes('FileVault is On.')) return 'on';
  if (stdout.includes('FileVault is Off.')) return 'off';
  throw new Error(`unrecognised fdesetup status output: ${JSON.stringify(stdout.slice(0, 200))}`);
}

export async function readFileVaultState(runner: CommandRunner): Promise<FileVaultState> {
  return parseFdesetupStatus((await runChecked(runner, FDESETUP, ['status'])).stdout);
}

/** A personal recovery key only exists (and can be rotated) while FileVault is on or encrypting. */
export function isFileVaultOn(state: FileVaultState): boolean {
  return state === 'on' || state === 'encrypting';
}

export async function hasPersonalRecoveryKey(runner: CommandRunner): Promise<boolean> {
  const out = (await runChecked(runner, FDESETUP, ['haspersonalrecoverykey'])).stdout.trim();
  if (out === 'true') return true;
  if (out === 'false') return false;
  throw new Error(
    `unrecognised fdesetup haspersonalrecoverykey output: ${JSON.stringify(out.slice(0, 100))}`,
  );
}

export async function isEscrowBuddyInstalled(bundlePath: string): Promise<boolean> {
  try {
    return (await stat(bundlePath)).isDirectory();
  } catch {
    return false;
  }
}

function isPlistObject(v: PlistValue): v is PlistObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof Uint8Array)
  );
}

/** The right as `security authorizationdb read` prints it (XML plist on stdout, "YES (0)" on stderr). */
export async function readLoginRight(runner: CommandRunner): Promise<PlistObject> {
  const { stdout } = await runChecked(runner, SECURITY, ['authorizationdb', 'read', LOGIN_RIGHT]);
  const right = parse(stdout);
  if (!isPlistObject(right) || !Array.isArray(right.mechanisms)) {
    throw new Error(`${LOGIN_RIGHT} has no mechanisms array`);
  }
  return right;
}

export function mechanismsOf(right: PlistObject): string[] {
  const list = right.mechanisms;
  return Array.isArray(list) ? list.filter((m): m is string => typeof m === 'string') : [];
}

export function hasEscrowBuddyMechanism(right: PlistObject): boolean {
  return mechanismsOf(right).includes(ESCROW_BUDDY_MECHANISM);
}

/**
 * The right with Escrow Buddy's mechanism placed right before loginwindow:done, every other key kept as
 * read. Refuses (like the plugin's own AuthDBSetup.sh) when loginwindow:done is missing: a login right we
 * do not recognise is not one to edit blindly, since a broken right can lock every user out.
 */
export function withEscrowBuddyMechanism(right: PlistObject): PlistObject {
  const mechanisms = mechanismsOf(right);
  if (mechanisms.includes(ESCROW_BUDDY_MECHANISM)) return right;
  const done = mechanisms.indexOf(LOGIN_DONE_MECHANISM);
  if (done < 0) throw new Error(`${LOGIN_RIGHT} has no ${LOGIN_DONE_MECHANISM} mechanism; not editing it`);
  return {
    ...right,
    mechanisms: [...mechanisms.slice(0, done), ESCROW_BUDDY_MECHANISM, ...mechanisms.slice(done)],
  };
}

export type MechanismRepair = 'present' | 'repaired-by-setup-script' | 'repaired-by-write';

/**
 * macOS updates reset the authorization database and silently drop Escrow Buddy (Fleet #22297). Prefer
 * the plugin's own setup script (it knows its own placement rules, and newer versions may change them);
 * without it, write the right back ourselves. Either way, read it again: success is the mechanism being
 * there, not a zero exit code.
 */
export async function ensureEscrowBuddyMechanism(
  runner: CommandRunner,
  bundlePath: string,
): Promise<MechanismRepair> {
  const right = await readLoginRight(runner);
  if (hasEscrowBuddyMechanism(right)) return 'present';

  const script = join(bundlePath, 'Contents', 'Resources', 'AuthDBSetup.sh');
  let repair: MechanismRepair;
  if (await fileExists(script)) {
    await runChecked(runner, '/bin/bash', [script]);
    repair = 'repaired-by-setup-script';
  } else {
    const xml = build(withEscrowBuddyMechanism(right));
    await runChecked(runner, SECURITY, ['authorizationdb', 'write', LOGIN_RIGHT], Buffer.from(xml, 'utf8'));
    repair = 'repaired-by-write';
  }
  if (!hasEscrowBuddyMechanism(await readLoginRight(runner))) {
    throw new Error(`${ESCROW_BUDDY_MECHANISM} is still missing from ${LOGIN_RIGHT} after ${repair}`);
  }
  return repair;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
