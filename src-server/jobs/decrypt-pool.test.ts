import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEscrowCertificate,
  type EscrowKeyPair,
  encryptToCertificate,
} from '../../node-lib/cms/index.js';
import { isDecryptable } from '../escrow/key-check.js';
import { selfCheckEscrowKeys } from '../escrow/key-self-check.js';
import { BITLOCKER_KEY, luksKey } from '../test-support/server.js';
import { DecryptPool } from './decrypt-pool.js';

/** Real worker threads running the worker entry, bundled like the build would compile it. */
const root = resolve(import.meta.dirname, '../..');
let dir: string;
let workerUrl: URL;
let pair: EscrowKeyPair;
let other: EscrowKeyPair;

beforeAll(async () => {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules/.cache/escrow-decrypt-pool-'));
  workerUrl = pathToFileURL(await bundle(join(root, 'src-server/jobs/verify-worker.ts')));
  [pair, other] = await Promise.all([createEscrowCertificate(), createEscrowCertificate()]);
});
/** A TypeScript entry bundled the way the build compiles it (dependencies stay in node_modules). */
async function bundle(entry: string): Promise<string> {
  const outfile = join(dir, `${basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const b64 = async (key: string, cert: string) =>
  (await encryptToCertificate(Buffer.from(key), cert)).toString('base64');

describe('DecryptPool', () => {
  it('answers decryptable or not from worker threads, for many checks at once', async () => {
    const pool = DecryptPool.create(2, workerUrl);
    expect(pool?.size).toBe(2);
    if (!pool) return;
    try {
      const good = await b64(luksKey(1), pair.certificatePem);
      const wrongShape = await b64(BITLOCKER_KEY, pair.certificatePem);
      const wrongKey = await b64(luksKey(2), other.certificatePem);
      const answers = await Promise.all([
        pool.check(good, 'linux', [pair]),
        pool.check(wrongShape, 'linux', [pair]),
        pool.check(wrongKey, 'linux', [pair]),
        pool.check('AAAA', 'linux', [pair]),
        pool.check(wrongShape, 'windows', [pair]),
        pool.check(wrongKey, 'linux', [pair, other]),
      ]);
      expect(answers).toEqual([true, false, false, false, true, true]);
    } finally {
      await pool.close();
    }
  });

  it('self-checks the escrow key pair at startup on every worker, and fails a certificate with the wrong key', async () => {
    const pool = DecryptPool.create(2, workerUrl);
    if (!pool) throw new Error('no pool');
    try {
      const checked: number[] = [];
      const counting: typeof pool.check = (...args) => {
        checked.push(1);
        return pool.check(...args);
      };
      expect(await selfCheckEscrowKeys(pair, counting, pool.size)).toBe(true);
      expect(checked).toHaveLength(2);
      const mismatched = { certificatePem: pair.certificatePem, privateKeyPem: other.privateKeyPem };
      expect(await selfCheckEscrowKeys(mismatched, pool.check, pool.size)).toBe(false);
      expect(await selfCheckEscrowKeys(mismatched, isDecryptable, 1)).toBe(false);
      expect(await selfCheckEscrowKeys(pair, isDecryptable, 1)).toBe(true);
      const broken = { certificatePem: 'not a certificate', privateKeyPem: pair.privateKeyPem };
      expect(await selfCheckEscrowKeys(broken, isDecryptable, 1)).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it('keeps the process alive while a check is pending, and not once the workers are idle', async () => {
    // A process whose only pending work is a check (the server's startup self-check runs before it listens)
    const script = join(dir, 'pending-check.ts');
    writeFileSync(
      script,
      [
        `import { DecryptPool } from ${JSON.stringify(join(root, 'src-server/jobs/decrypt-pool.ts'))};`,
        `import { selfCheckEscrowKeys } from ${JSON.stringify(join(root, 'src-server/escrow/key-self-check.ts'))};`,
        'const [workerUrl, pairJson] = process.argv.slice(2);',
        'const pool = DecryptPool.create(2, new URL(workerUrl));',
        'console.log(await selfCheckEscrowKeys(JSON.parse(pairJson), pool.check, pool.size));',
      ].join('\n'),
    );
    const outfile = await bundle(script);
    const r = spawnSync(process.execPath, [outfile, workerUrl.href, JSON.stringify(pair)], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stdout.trim()).toBe('true'); // printed: the pending checks kept it alive
    expect(r.status).toBe(0); // and it exited: idle workers do not hold it
  });

  it('is not created when the worker script is missing (running from sources): callers check inline', () => {
    expect(DecryptPool.create(2, pathToFileURL(join(dir, 'missing.mjs')))).toBeNull();
    expect(DecryptPool.create(0, workerUrl)).toBeNull();
  });
});
