import { LogoutError, type LogoutPort } from '../core/logout-port.js';
import { mainStrings } from '../core/strings.js';
import type { RunCommand } from './command-runner.js';

/**
 * Logs the user out the way the Apple menu does, through System Events. macOS asks the user once to let
 * this app control System Events (Automation privacy); when that was refused, osascript fails with
 * AppleEvent error -1743 and the user must be told where to allow it — or how to log out by hand.
 */
export const LOGOUT_SCRIPT = 'tell application "System Events" to log out';

export function macosLogout(run: RunCommand): LogoutPort {
  return {
    async logOut() {
      let result: Awaited<ReturnType<RunCommand>>;
      try {
        result = await run('/usr/bin/osascript', ['-e', LOGOUT_SCRIPT]);
      } catch {
        throw new LogoutError('logout_failed', mainStrings.errors.logoutFailed);
      }
      if (result.code === 0) return;
      // "Not authorized to send Apple events to System Events. (-1743)"
      if (/\(-1743\)/.test(result.stderr)) {
        throw new LogoutError('automation_denied', mainStrings.errors.automationDenied);
      }
      throw new LogoutError('logout_failed', mainStrings.errors.logoutFailed);
    },
  };
}

/** Linux and Windows never get a log-out action from the agent; refuse plainly if one arrives anyway. */
export const unsupportedLogout: LogoutPort = {
  async logOut() {
    throw new LogoutError('logout_failed', mainStrings.errors.logoutUnsupported);
  },
};
