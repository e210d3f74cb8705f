import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { errorMessage } from '../../node-lib/error-message.js';
import { LogoutError } from '../core/logout-port.js';
import type { RunCommand } from './command-runner.js';
import { LOGOUT_SCRIPT, macosLogout, unsupportedLogout } from './macos-logout.js';

// osascript's stderr in the shape macOS prints it (line:col, message, AppleEvent error number). These are
// transcriptions, not recordings from this machine: the adapter only relies on the "(-1743)" number.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('macOS log-out through System Events', () => {
  it('runs osascript with the script as one argument, never through a shell', async () => {
    const run = vi.fn<RunCommand>(async () => ({ code: 0, stdout: '', stderr: '' }));
    await macosLogout(run).logOut();
    expect(run).toHaveBeenCalledWith('/usr/bin/osascript', ['-e', LOGOUT_SCRIPT]);
    expect(LOGOUT_SCRIPT).toBe('tell application "System Events" to log out');
  });

  it('maps a refused Automation permission (-1743) to automation_denied', async () => {
    const run: RunCommand = async () => ({
      code: 1,
      stdout: '',
      stderr: fixture('osascript-logout-not-authorized.stderr'),
    });
    const err = await macosLogout(run)
      .logOut()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogoutError);
    expect(err).toMatchObject({ code: 'automation_denied' });
    expect(errorMessage(err)).toMatch(/Automation/);
  });

  it('maps any other failure to logout_failed with the manual way out', async () => {
    const run: RunCommand = async () => ({
      code: 1,
      stdout: '',
      stderr: fixture('osascript-logout-not-running.stderr'),
    });
    await expect(macosLogout(run).logOut()).rejects.toMatchObject({ code: 'logout_failed' });
    const missing: RunCommand = async () => {
      throw Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' });
    };
    await expect(macosLogout(missing).logOut()).rejects.toMatchObject({
      code: 'logout_failed',
      message: /Apple menu/,
    });
  });

  it('refuses on other platforms', async () => {
    await expect(unsupportedLogout.logOut()).rejects.toMatchObject({ code: 'logout_failed' });
  });
});
