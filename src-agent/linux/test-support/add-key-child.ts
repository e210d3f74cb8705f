import { readFileSync } from 'node:fs';
import { Cryptsetup } from '../cryptsetup.js';

/**
 * TEST ONLY: a process that runs one luksAddKey the way the agent does (secrets over named pipes in
 * PIPE_DIR, cryptsetup = CRYPTSETUP) and is killed by the test while cryptsetup runs. The passphrase comes
 * on stdin.
 */
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const cs = new Cryptsetup({
  path: env('CRYPTSETUP'),
  pipeDir: env('PIPE_DIR'),
  dieWithAgent: process.env.DIE_WITH_AGENT !== '0',
});
await cs.addKey(env('DEVICE'), readFileSync(0), Buffer.from('the new key'), 1, {
  type: 'pbkdf2',
  hash: 'sha256',
  iterations: 1000,
});
process.stdout.write('added\n');
