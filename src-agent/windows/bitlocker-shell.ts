import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BITLOCKER_SCRIPTS, type BitLockerOp } from './bitlocker-scripts.js';

/**
 * The one port through which the Windows module touches BitLocker: a named PowerShell script (fixed text,
 * bitlocker-scripts.ts) run with JSON parameters on stdin, answering one JSON object on stdout. Everything
 * above it is pure logic, so it runs on Linux CI against recorded outputs (fixtures/).
 *
 * stdout is a Buffer, not a string: one script (read-recovery-password) answers with the 48-digit recovery
 * password, and the caller copies it into a Buffer of its own and wipes both (recovery-password.ts).
 */
export interface ShellResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Parameters are device and protector IDs read from WMI: never a secret. */
export type ShellParams = Readonly<Record<string, string | number>>;

export interface BitLockerShell {
  run(op: BitLockerOp, params?: ShellParams): Promise<ShellResult>;
}

export type { BitLockerOp };

// WMI on a busy laptop (every volume, every protector) can take several seconds; Encrypt returns at once.
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Windows PowerShell 5.1, present on every Windows 10/11; by absolute path so PATH cannot substitute it. */
export function windowsPowerShellPath(systemRoot = process.env.SystemRoot ?? 'C:\\Windows'): string {
  return join(systemRoot, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/** The argv of one script run: the script travels base64(UTF-16LE) in -EncodedCommand, never re-parsed. */
export function powerShellArgs(op: BitLockerOp): string[] {
  const script = BITLOCKER_SCRIPTS[op];
  return [
    '-NoLogo',
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-EncodedCommand',
    Buffer.from(script, 'utf16le').toString('base64'),
  ];
}

/**
 * Real adapter (Windows only): execFile, never a shell. The parameters go on stdin as JSON, so a device ID
 * is never spliced into script text. A non-zero exit is a result; only failing to start or a timeout rejects.
 */
export function createPowerShellRunner(
  options: { timeoutMs?: number; powershell?: string } = {},
): BitLockerShell {
  const exe = options.powershell ?? windowsPowerShellPath();
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    run(op, params = {}) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          exe,
          powerShellArgs(op),
          { encoding: 'buffer', timeout, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') {
              stdout.fill(0);
              reject(new Error(`PowerShell ${op} could not run: ${error.message}`));
              return;
            }
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr: stderr.toString('utf8') });
          },
        );
        child.stdin?.on('error', () => {});
        child.stdin?.end(JSON.stringify(params));
      });
    },
  };
}
