import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Who is logged in locally, read from systemd-logind's session records in /run/systemd/sessions. Those
 * files are what libsystemd's sd_session_* calls read themselves; reading them directly spares a D-Bus
 * dependency and lets us follow changes with one fs.watch instead of polling `loginctl`.
 */
export const LOGIND_SESSIONS_DIR = '/run/systemd/sessions';

export interface LocalSessionUser {
  uid: number;
  name: string;
  /** Linux: this session has the seat now (the others are switched away from); unset on macOS. */
  active?: boolean;
}

/** One session file ("KEY=value" lines) → the user, if the session is local, of class user, and logged in. */
export function parseSessionRecord(text: string): LocalSessionUser | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) fields.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const uid = Number(fields.get('UID'));
  const name = fields.get('USER');
  if (!Number.isInteger(uid) || uid < 0 || !name) return null;
  // REMOTE=1 marks ssh and other remote logins: they are not the person at this machine.
  if (fields.get('REMOTE') === '1') return null;
  // Greeter, lock-screen and background (manager) sessions belong to no person.
  if ((fields.get('CLASS') ?? 'user') !== 'user') return null;
  // "online" = logged in but another session has the seat (fast user switching); "closing" = logging out.
  const state = fields.get('STATE') ?? (fields.get('ACTIVE') === '1' ? 'active' : 'online');
  if (state !== 'active' && state !== 'online') return null;
  return { uid, name, active: state === 'active' };
}

/**
 * The person at the screen, for the server's host list: the user of the active session, else the local
 * user with the lowest uid (an "online" session behind the login window); null when nobody is logged in.
 */
export function personAtScreen(users: readonly LocalSessionUser[]): string | null {
  const sorted = [...users].sort((a, b) => a.uid - b.uid);
  return (sorted.find((u) => u.active !== false) ?? sorted[0])?.name ?? null;
}

export async function readLocalSessionUsers(dir = LOGIND_SESSIONS_DIR): Promise<LocalSessionUser[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // no logind on this machine (containers, minimal servers): only root and --allow-user
  }
  const users = new Map<number, LocalSessionUser>();
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('.ref')) continue; // .ref = FIFOs logind keeps per session
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => null);
    const user = text === null ? null : parseSessionRecord(text);
    // One user with several sessions is active if any of them is.
    if (user) users.set(user.uid, { ...user, active: user.active || users.get(user.uid)?.active === true });
  }
  return [...users.values()];
}

/**
 * Calls `onChange` (debounced) whenever logind adds, changes or removes a session. Event-driven: an idle
 * machine causes no wake-ups here at all.
 */
export function watchSessions(dir: string, onChange: () => void, debounceMs = 200): { close(): void } {
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        onChange();
      }, debounceMs);
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null; // directory missing: no sessions to follow
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
