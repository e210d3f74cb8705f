import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../node-lib/logger.js';
import { CrashPoint } from '../crash-point.js';
import { LuksEscrow } from '../luks-escrow.js';
import { FAST_KDF_SLOT } from './luks-image.js';

/**
 * TEST ONLY: "Set a new disk passphrase" in a separate process, killed with SIGKILL at
 * ESCROW_TEST_CRASH_AT (bundled by the crash test with esbuild). stdin: the recovery key, a NUL byte, the
 * new passphrase. The "server" is a directory where each upload is stored under its escrow_id.
 */
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const serverDir = env('SERVER_DIR');
const input = readFileSync(0);
const nul = input.indexOf(0);
const api = new LuksEscrow({
  device: env('DEVICE'),
  stateDir: env('STATE_DIR'),
  escrowCertificate: () => readFileSync(env('CERT_FILE'), 'utf8'),
  uploader: async (u) => writeFileSync(join(serverDir, `${u.escrow_id}.json`), JSON.stringify(u)),
  userSlotPbkdf: FAST_KDF_SLOT,
  log: createLogger('reset-crash-child', { level: 'warn' }),
  testCrashAt: CrashPoint.parse(env('ESCROW_TEST_CRASH_AT')),
});
const result = await api.setNewPassphrase(input.subarray(0, nul), input.subarray(nul + 1), {
  removeOldPassphrase: true,
});
process.stdout.write(`${JSON.stringify(result)}\n`);
