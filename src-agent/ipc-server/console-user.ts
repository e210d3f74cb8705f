import { execFile } from 'node:child_process';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { LocalSessionUser } from './logind-sessions.js';

const run = promisify(execFile);

/**
 * macOS has no logind. The person at the Mac is the owner of /dev/console: loginwindow hands it to the user
 * who logs in at the screen and gives it back to root at the login window. Remote (ssh) users never own it.
 */
export const CONSOLE_PATH = '/dev/console';

export async function readConsoleUser(
  consolePath = CONSOLE_PATH,
  nameOf: (uid: number) => Promise<string> = nameOfUid,
): Promise<LocalSessionUser[]> {
  const st = await stat(consolePath).catch(() => null);
  if (!st || st.uid === 0) return []; // nobody logged in at the screen
  return [{ uid: st.uid, name: await nameOf(st.uid).catch(() => String(st.uid)) }];
}

/**
 * Calls `onChange` when the console changes hands. There is no event for an ownership change on macOS, so
 * this stats the file every `intervalMs` (default 5 s: the agent's idle wake-up budget).
 */
export function watchConsoleUser(
  onChange: () => void,
  consolePath = CONSOLE_PATH,
  intervalMs = 5_000,
): { close(): void } {
  const listener = (now: Stats, before: Stats) => {
    if (now.uid !== before.uid) onChange();
  };
  watchFile(consolePath, { interval: intervalMs, persistent: false }, listener);
  return { close: () => unwatchFile(consolePath, listener) };
}

async function nameOfUid(uid: number): Promise<string> {
  const { stdout } = await run('id', ['-nu', String(uid)], { timeout: 5_000 });
  return stdout.trim();
}
