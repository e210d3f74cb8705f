import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelope } from '../../node-lib/cms/index.js';
import { CrashPoint } from './crash-point.js';
import type { LuksUpload } from './escrow-context.js';
import { LuksEscrow } from './luks-escrow.js';
import { type Harness, headerJson, makeHarness } from './test-support/harness.js';
import { FAST_KDF_SLOT, makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

/**
 * kill -9 of the agent at every step boundary of "Set a new disk passphrase" (its own steps and the
 * rotation's escrow steps inside it), then a restart that reconciles. Afterwards: the header is valid, the
 * disk opens with the new passphrase or the used recovery key, every escrow slot of ours is escrowed (the
 * server holds a key that opens it), and a second run by the person finishes the job: the new passphrase
 * opens, the forgotten one and the used key no longer do, and one fresh escrowed key remains.
 */

const USER = 'the passphrase Ana forgot';
const NEW = 'a brand new passphrase ✓';
const repo = join(import.meta.dirname, '../..');
let h: Harness;
let childScript: string;
const images: TestImage[] = [];

beforeAll(async () => {
  h = await makeHarness();
  childScript = join(repo, 'node_modules/.cache/escrow-linux-tests', `reset-crash-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'test-support/reset-crash-child.ts')],
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

function runChild(env: Record<string, string>, stdin: Buffer): Promise<{ signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [childScript], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.on('close', (_code, signal) => resolve({ signal }));
    child.stdin.end(stdin);
  });
}

function uploadsIn(dir: string): LuksUpload[] {
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as LuksUpload);
}

/** Every slot named by a token of ours is escrowed: an upload with its salt holds a key that opens it. */
async function everyEscrowSlotEscrowed(image: string, serverDir: string): Promise<void> {
  const header = headerJson(image);
  for (const t of Object.values(header.tokens).filter((x) => x.type === 'escrow-desktop')) {
    for (const slot of t.keyslots) {
      const salt = header.keyslots[slot]?.kdf.salt;
      const upload = uploadsIn(serverDir).find((u) => String(u.key_slot) === slot && u.salt === salt);
      expect(upload, `escrow slot ${slot} has no escrowed key`).toBeDefined();
      const key = await decryptEnvelope(Buffer.from((upload as LuksUpload).base64_encrypted, 'base64'), [
        h.keys,
      ]);
      expect(opens(image, key, Number(slot))).toBe(true);
      expect(t.state).toBe('escrowed');
    }
  }
}

describe('crash (SIGKILL) at every step of Set a new disk passphrase, then restart, reconcile and finish', () => {
  for (const point of CrashPoint.options) {
    it(`recovers after a crash at ${point}`, async () => {
      const img = makeLuks2Image(USER, 0);
      images.push(img);
      const state = join(img.dir, 'state');
      const serverDir = join(img.dir, 'server');
      mkdirSync(serverDir);
      const certFile = join(img.dir, 'escrow.pem');
      writeFileSync(certFile, h.keys.certificatePem);
      const agent = () =>
        new LuksEscrow(
          h.options(img.path, state, {
            userSlotPbkdf: FAST_KDF_SLOT,
            uploader: async (u) => writeFileSync(join(serverDir, `${u.escrow_id}.json`), JSON.stringify(u)),
          }),
        );
      // The first escrow; its key is then "revealed" and typed at boot.
      const first = await agent().createRecoveryKey(Buffer.from(USER));
      const [firstUpload] = uploadsIn(serverDir);
      const usedKey = (
        await decryptEnvelope(Buffer.from((firstUpload as LuksUpload).base64_encrypted, 'base64'), [h.keys])
      ).toString('ascii');

      const child = await runChild(
        {
          DEVICE: img.path,
          STATE_DIR: state,
          SERVER_DIR: serverDir,
          CERT_FILE: certFile,
          ESCROW_TEST_CRASH_AT: point,
        },
        Buffer.concat([Buffer.from(usedKey), Buffer.from([0]), Buffer.from(NEW)]),
      );
      expect(child.signal).toBe('SIGKILL');

      const api = agent();
      await api.reconcile();
      expect(opens(img.path, NEW) || opens(img.path, usedKey)).toBe(true);
      await everyEscrowSlotEscrowed(img.path, serverDir);
      const after = await api.status();
      expect(after.pendingUpload).toBe(false);

      if (point === 'token_escrowed' || point === 'reset_used_key_removed') {
        // The used key's slot was already removed (it goes before the new token is marked escrowed): only
        // bookkeeping was left, and reconcile finished it.
        expect(after.resetPending).toBe(false);
        expect(opens(img.path, usedKey)).toBe(false);
      } else {
        // The used key is still on the disk: the person is asked to finish, and a second run does.
        expect(opens(img.path, usedKey, first.keySlot)).toBe(true);
        const again = await api.setNewPassphrase(Buffer.from(usedKey), Buffer.from(NEW), {
          removeOldPassphrase: true,
        });
        expect(again.outcome).toBe('escrowed');
        expect(opens(img.path, usedKey)).toBe(false);
      }
      expect(opens(img.path, NEW)).toBe(true);
      expect(opens(img.path, USER)).toBe(false);
      await everyEscrowSlotEscrowed(img.path, serverDir);
      const done = await api.status();
      expect(done).toMatchObject({ resetPending: false, pendingUpload: false, tokenState: 'escrowed' });
      expect(done.ourSlot).not.toBe(first.keySlot);
      expect(readdirSync(join(state, 'luks-journal'))).toEqual([]);
      expect(readdirSync(join(state, 'passphrase-reset'))).toEqual([]);
    });
  }
});
