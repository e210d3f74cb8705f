/** The Windows module as start-agent.ts loads it (only on Windows, or when a test forces win32). */
export type { BitLockerShell } from './bitlocker-shell.js';
export { createPowerShellRunner } from './bitlocker-shell.js';
export { windowsHostIdentity } from './windows-identity.js';
export { createWindowsPlatform, type WindowsPlatformOptions } from './windows-platform.js';
