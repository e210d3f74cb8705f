import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../node-lib/logger.js';
import { CrashPoint } from '../crash-point.js';
import { LuksEscrow } from '../luks-escrow.js';

/**
 * TEST ONLY: the agent side of the crash tests, run as a separate process (bundled by the test with
 * esbuild). It runs one escrow and is killed with SIGKILL at ESCROW_TEST_CRASH_AT, or by the test. The passphrase comes on
 * stdin; the "server" is a directory where each upload is stored under its escrow_id.
 */
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const serverDir = env('SERVER_DIR');
const passphrase = readFileSync(0);
const api = new LuksEscrow({
  device: env('DEVICE'),
  stateDir: env('STATE_DIR'),
  escrowCertificate: () => readFileSync(env('CERT_FILE'), 'utf8'),
  uploader: async (u) => writeFileSync(join(serverDir, `${u.escrow_id}.json`), JSON.stringify(u)),
  log: createLogger('crash-child', { level: 'warn' }),
  // Unset: no crash point; the test kills this process itself, at a moment of its choosing.
  ...(process.env.ESCROW_TEST_CRASH_AT
    ? { testCrashAt: CrashPoint.parse(process.env.ESCROW_TEST_CRASH_AT) }
    : {}),
});
const result = await api.createRecoveryKey(passphrase);
process.stdout.write(`${JSON.stringify(result)}\n`);
