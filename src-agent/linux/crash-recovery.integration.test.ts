import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelope } from '../../node-lib/cms/index.js';
import { ESCROW_CRASH_POINTS } from './crash-point.js';
import type { LuksUpload } from './escrow-context.js';
import { LuksEscrow } from './luks-escrow.js';
import { type Harness, headerJson, makeHarness, slotsOf } from './test-support/harness.js';
import { makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

/**
 * kill -9 of the agent at every step boundary of an escrow, then a restart that reconciles. Afterwards the
 * header must be valid, the user's slot must work, and every non-user slot must be escrowed (the server
 * holds a key that opens it, and our token says so) or gone.
 */

const USER = 'user passphrase with spaces ✓';
const repo = join(import.meta.dirname, '../..');
let h: Harness;
let childScript: string;
const images: TestImage[] = [];

beforeAll(async () => {
  h = await makeHarness();
  // Bundle the child so plain `node` runs it; bare imports (zod, pino, pkijs) resolve from the repo's
  // node_modules because the bundle is written below it.
  childScript = join(repo, 'node_modules/.cache/escrow-linux-tests', `crash-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'test-support/crash-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: childScript,
    logLevel: 'warning',
  });
});
afterAll(() => {
  for (const img of images) img.cleanup();
  rmSync(childScript, { force: true });
});

function fileServer(dir: string) {
  return async (u: LuksUpload) => writeFileSync(join(dir, `${u.escrow_id}.json`), JSON.stringify(u));
}

function runChild(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [childScript], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code, signal) => resolve({ code, signal, out }));
    child.stdin.end(USER);
  });
}

describe('crash (SIGKILL) at every step boundary, then restart and reconcile', () => {
  for (const point of ESCROW_CRASH_POINTS) {
    it(`recovers after a crash at ${point}`, async () => {
      const img = makeLuks2Image(USER, 0);
      images.push(img);
      const state = join(img.dir, 'state');
      const serverDir = join(img.dir, 'server');
      mkdirSync(serverDir);
      const certFile = join(img.dir, 'escrow.pem');
      writeFileSync(certFile, h.keys.certificatePem);

      const child = await runChild({
        DEVICE: img.path,
        STATE_DIR: state,
        SERVER_DIR: serverDir,
        CERT_FILE: certFile,
        ESCROW_TEST_CRASH_AT: point,
      });
      expect(child.signal).toBe('SIGKILL');

      const api = new LuksEscrow(h.options(img.path, state, { uploader: fileServer(serverDir) }));
      const report = await api.reconcile();

      // the header is valid and the user's slot still opens
      expect(headerJson(img.path).keyslots['0']).toBeDefined();
      expect(opens(img.path, USER, 0)).toBe(true);
      // every non-user slot is escrowed: the server holds a key that opens it, and our token says so
      const uploads = readdirSync(serverDir).map(
        (f) => JSON.parse(readFileSync(join(serverDir, f), 'utf8')) as LuksUpload,
      );
      const tokens = Object.values(headerJson(img.path).tokens);
      for (const slot of slotsOf(img.path).filter((s) => s !== 0)) {
        const upload = uploads.find(
          (u) => u.key_slot === slot && u.salt === headerJson(img.path).keyslots[String(slot)]?.kdf.salt,
        );
        expect(upload, `slot ${slot} has no escrowed key`).toBeDefined();
        const key = await decryptEnvelope(Buffer.from((upload as LuksUpload).base64_encrypted, 'base64'), [
          h.keys,
        ]);
        expect(opens(img.path, key, slot)).toBe(true);
        expect(tokens).toContainEqual(
          expect.objectContaining({ keyslots: [String(slot)], state: 'escrowed' }),
        );
      }
      const status = await api.status();
      expect(status.pendingUpload).toBe(false);
      if (point === 'journal_written') {
        // the header never changed: the entry is dropped and a new key is still needed
        expect(report.dropped).toHaveLength(1);
        expect(slotsOf(img.path)).toEqual([0]);
        expect(status.needsKey).toBe(true);
        expect((await api.createRecoveryKey(Buffer.from(USER))).outcome).toBe('escrowed');
      } else {
        expect(slotsOf(img.path)).toEqual([0, 1]);
        expect(status).toMatchObject({ needsKey: false, ourSlot: 1, tokenState: 'escrowed' });
      }
      expect(readdirSync(join(state, 'luks-journal'))).toEqual([]);
    });
  }
});
