import type { CommandRunner } from './command-runner.js';
import { formatCommandLine } from './command-runner.js';

export const DEFAULTS = '/usr/bin/defaults';
export const LOG = '/usr/bin/log';
export const ESCROW_BUDDY_SUBSYSTEM = 'com.netflix.Escrow-Buddy';
export const DEFAULT_PREFS_PATH = '/Library/Preferences/com.netflix.Escrow-Buddy.plist';
export const DEFAULT_MANAGED_PREFS_PATH = '/Library/Managed Preferences/com.netflix.Escrow-Buddy.plist';
const KEY = 'GenerateNewKey';

export interface PrefsPaths {
  prefsPath: string;
  managedPrefsPath: string;
}

/** `defaults read <plist> GenerateNewKey`: "1"/"0" for a bool; exit 1 with "does not exist" when unset. */
export async function readGenerateNewKey(
  runner: CommandRunner,
  plistPath: string,
): Promise<boolean | undefined> {
  const args = ['read', plistPath, KEY];
  const r = await runner.run(DEFAULTS, args);
  if (r.code !== 0) {
    if (/does not exist/.test(r.stderr)) return undefined;
    throw new Error(
      `${formatCommandLine(DEFAULTS, args)} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`,
    );
  }
  const value = r.stdout.trim();
  if (value === '1') return true;
  if (value === '0') return false;
  throw new Error(`${KEY} in ${plistPath} is not a bool: ${JSON.stringify(value.slice(0, 100))}`);
}

/**
 * Set the flag Escrow Buddy reads at login, then prove it took. A configuration profile that manages the
 * domain defeats us twice: `defaults write` to the file has no effect on what CFPreferences returns, and
 * Escrow Buddy refuses to act on a forced GenerateNewKey at all ("This is a configuration error!"). So a
 * managed key is an error whatever its value, reported with the path an admin has to fix.
 */
export async function setGenerateNewKey(
  runner: CommandRunner,
  value: boolean,
  paths: PrefsPaths,
): Promise<void> {
  const args = ['write', paths.prefsPath, KEY, '-bool', value ? 'true' : 'false'];
  const r = await runner.run(DEFAULTS, args);
  if (r.code !== 0) {
    throw new Error(
      `${formatCommandLine(DEFAULTS, args)} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`,
    );
  }
  const managed = await readGenerateNewKey(runner, paths.managedPrefsPath);
  if (managed !== undefined) {
    throw new Error(
      `${KEY} is managed by a configuration profile (${paths.managedPrefsPath} sets it to ${managed}); ` +
        `Escrow Buddy ignores a managed ${KEY}. Remove ${KEY} from the profile so the agent can set it.`,
    );
  }
  const readBack = await readGenerateNewKey(runner, paths.prefsPath);
  if (readBack !== value) {
    throw new Error(`wrote ${KEY}=${value} to ${paths.prefsPath} but read back ${readBack ?? 'nothing'}`);
  }
}

/** One entry of `log show --style json` (an array of these); only the fields we use. */
interface LogEntry {
  timestamp?: string;
  messageType?: string;
  eventMessage?: string;
}

export const ESCROW_BUDDY_LOG_ARGS = [
  'show',
  '--predicate',
  `subsystem == "${ESCROW_BUDDY_SUBSYSTEM}"`,
  '--style',
  'json',
  '--last',
  '1h',
];

/** `log show` timestamps look like "2024-09-23 10:52:14.105944-0700". */
export function parseLogTimestamp(ts: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(\d{2})$/.exec(ts);
  if (!m) return Number.NaN;
  const fraction = (m[3] ?? '').slice(0, 4); // milliseconds are all Date keeps
  return Date.parse(`${m[1]}T${m[2]}${fraction}${m[4]}:${m[5]}`);
}

export function parseLogShowJson(stdout: string): LogEntry[] {
  // `log show` may print nothing at all when no entry matches; anything before the array is not ours.
  const start = stdout.indexOf('[');
  if (start < 0) return [];
  const parsed: unknown = JSON.parse(stdout.slice(start));
  if (!Array.isArray(parsed)) throw new Error('log show --style json did not print an array');
  return parsed.filter((e): e is LogEntry => typeof e === 'object' && e !== null);
}

const MAX_REASON_CHARS = 500;

/**
 * Why the last Escrow Buddy run since `sinceMs` did not produce a key, in one line for `client_error`.
 * Escrow Buddy logs fdesetup's stderr as `Optional("...")`; that text (e.g. "User could not be
 * authenticated" for smart-card logins) is the useful part, so it wins over the generic lines.
 * Returns undefined when the last run succeeded.
 */
export function failureReasonFromLog(entries: LogEntry[], sinceMs: number): string | undefined {
  const recent = entries.filter((e) => {
    const at = e.timestamp ? parseLogTimestamp(e.timestamp) : Number.NaN;
    return !Number.isNaN(at) && at >= sinceMs;
  });
  const starts = recent.flatMap((e, i) => (e.eventMessage === 'Starting Escrow Buddy:Invoke' ? [i] : []));
  const lastStart = starts.at(-1);
  if (lastStart === undefined) {
    return 'Escrow Buddy did not run at the last login (is its mechanism in system.login.console?)';
  }
  const run = recent.slice(lastStart).map((e) => e.eventMessage ?? '');
  if (run.includes('rotateRecoveryKey succeeded')) return undefined;

  const stderrLine = run.find((m) => m.startsWith('fdesetup Standard Error: '));
  const exitLine = run.find((m) => m.startsWith('ERROR: fdesetup terminated'));
  let reason: string | undefined;
  if (stderrLine) {
    const text = unwrapSwiftOptional(stderrLine.slice('fdesetup Standard Error: '.length));
    const code = exitLine?.match(/status: (\d+)/)?.[1];
    reason = `fdesetup changerecovery failed${code ? ` (exit ${code})` : ''}: ${text}`;
  } else {
    const error = recent
      .slice(lastStart)
      .find((e) => e.messageType === 'Error' || e.eventMessage?.startsWith('ERROR:'))?.eventMessage;
    const skipped = run.find((m) =>
      ['FileVault is not enabled', 'FileVault is decrypting', 'GenerateNewKey is False'].includes(m),
    );
    reason = error ?? (skipped ? `skipped: ${skipped}` : 'no key was generated and no error was logged');
  }
  return `Escrow Buddy: ${reason}`.slice(0, MAX_REASON_CHARS);
}

/** `Optional("Error: a.\nError: b.\n")` → `Error: a. Error: b.` */
function unwrapSwiftOptional(s: string): string {
  const m = /^Optional\("([\s\S]*)"\)$/.exec(s.trim());
  const inner = m?.[1] ? m[1].replace(/\\n/g, '\n').replace(/\\"/g, '"') : s;
  return inner
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export async function readEscrowBuddyFailure(
  runner: CommandRunner,
  sinceMs: number,
): Promise<string | undefined> {
  const r = await runner.run(LOG, ESCROW_BUDDY_LOG_ARGS);
  if (r.code !== 0) {
    return `could not read Escrow Buddy's log (log show exited ${r.code}: ${r.stderr.trim().slice(0, 200)})`;
  }
  return failureReasonFromLog(parseLogShowJson(r.stdout), sinceMs);
}
