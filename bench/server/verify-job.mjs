// The decryptability job over 10,000 new (unchecked) keys, each a real CMS envelope (RSA-OAEP + AES-256)
// to the escrow certificate. Target (issue 4): ≤ 20 s. Usage: npm run build && node bench/server/verify-job.mjs
import { constants, createPrivateKey, privateDecrypt, publicEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptToCertificate } from '../../dist/node-lib/cms/index.js';
import { loadEscrowKeys } from '../../dist/src-server/escrow/key-files.js';
import { initDataDir } from '../../dist/src-server/init.js';
import { startServer } from '../../dist/src-server/server.js';

const KEYS = Number(process.env.KEYS ?? 10_000);
const ALPHABET = 'cbdefghijklnrtuv';
/** @param {number} n */
const luksKey = (n) =>
  Array.from({ length: 8 }, (_, g) =>
    Array.from({ length: 8 }, (_, i) => ALPHABET[(n * 31 + g * 7 + i) % 16]).join(''),
  ).join('-');

const dataDir = mkdtempSync(join(tmpdir(), 'escrow-bench-verify-'));
await initDataDir({ dataDir });
const server = await startServer({ dataDir, verifySchedule: false, logLevel: 'warn' });
const { certificatePem } = (await loadEscrowKeys(dataDir)).current;

const t0 = performance.now();
for (let i = 0; i < KEYS; i++) {
  const { hostId } = await server.store.enrollHost(
    {
      hardware_uuid: `v-${i}`,
      hardware_serial: `S${i}`,
      hostname: `h${i}`,
      platform: 'linux',
      os_version: 'x',
    },
    `node-key-digest-${i}`,
  );
  const envelope = await encryptToCertificate(Buffer.from(luksKey(i)), certificatePem);
  await server.store.storeKey(hostId, {
    base64_encrypted: envelope.toString('base64'),
    key_slot: 1,
    salt: 's',
    decryptable: null,
    escrow_id: null,
  });
}
const seeded = performance.now();
const cpu0 = process.cpuUsage();
const r = await server.verifyKeysNow();
const done = performance.now();
// CPU of every thread in this process (main + decrypt workers) during the job: unlike the wall time, it
// hardly depends on what else the machine runs, and against the RSA floor it shows the job's overhead.
const { user, system } = process.cpuUsage(cpu0);
const jobCpuS = (user + system) / 1e6;
// What one RSA-3072 private operation costs on this machine right now: the floor for a key check.
const { privateKeyPem } = (await loadEscrowKeys(dataDir)).current;
const rsaKey = createPrivateKey(privateKeyPem);
const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
const ciphertext = publicEncrypt({ key: certificatePem, ...oaep }, Buffer.alloc(32));
const r0 = performance.now();
for (let i = 0; i < 100; i++) privateDecrypt({ key: rsaKey, ...oaep }, ciphertext);
const rsaMs = (performance.now() - r0) / 100;
await server.close();
rmSync(dataDir, { recursive: true, force: true });

console.log(`verification job over ${KEYS} unchecked keys (SQLite, RSA-3072 OAEP)`);
console.log(`  seeding (enroll + encrypt + store): ${((seeded - t0) / 1000).toFixed(1)} s`);
console.log(
  `  job: ${((done - seeded) / 1000).toFixed(1)} s, ${(KEYS / ((done - seeded) / 1000)).toFixed(0)} keys/s`,
);
console.log(`  result: ${JSON.stringify(r)}`);
console.log(
  `  job CPU (all threads): ${jobCpuS.toFixed(1)} s, ${((jobCpuS * 1000) / KEYS).toFixed(2)} ms/key; ` +
    `RSA alone: ${((KEYS * rsaMs) / 1000).toFixed(1)} s`,
);
console.log(
  `  raw RSA-3072 private operation here: ${rsaMs.toFixed(2)} ms; ${availableParallelism()} CPUs, one worker each`,
);
if (r.decryptable !== KEYS) process.exitCode = 1;
