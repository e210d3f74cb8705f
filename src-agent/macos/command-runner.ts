import { execFile } from 'node:child_process';

/**
 * The one port through which the macOS module touches the OS's command-line tools (fdesetup, security,
 * defaults, log). Everything above it is pure logic, so it runs on Linux CI against recorded outputs.
 */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(cmd: string, args: string[], opts?: { input?: Buffer }): Promise<CommandResult>;
}

/** How a command line is named in errors and fixture keys: argv joined, arguments with spaces quoted. */
export function formatCommandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

// Generous: `log show` over an hour of unified log can take several seconds on a busy Mac.
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Real adapter: execFile, never a shell, so no argument is ever re-parsed. A non-zero exit is a result,
 * not an exception — callers decide (e.g. `defaults read` exits 1 for a missing key). Only failing to start
 * the program (ENOENT, EACCES) or a timeout rejects.
 */
export function createExecFileRunner(options: { timeoutMs?: number } = {}): CommandRunner {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    run(cmd, args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          cmd,
          args,
          { encoding: 'utf8', timeout, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') {
              reject(new Error(`${formatCommandLine(cmd, args)} could not run: ${error.message}`));
              return;
            }
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
          },
        );
        // stdin is always closed so a tool that reads it (security authorizationdb write) never hangs.
        child.stdin?.on('error', () => {});
        child.stdin?.end(opts.input);
      });
    },
  };
}
