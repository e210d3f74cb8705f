import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptEnvelope, isFileVaultPrk } from '../../node-lib/cms/index.js';
import { createLogger } from '../../node-lib/logger.js';
import { createPrkWatcher, type PrkWatcher } from './prk-watcher.js';
import { PrkEnvelopes, randomPrk } from './test-support/prk-envelopes.js';

type Upload = { base64_encrypted: string; client_error: string };
const log = createLogger('prk-watcher-test', { level: 'silent' });

/** Collects uploads; `next()` resolves with the next one (or one already waiting). */
class UploadSink {
  readonly all: Upload[] = [];
  private waiting: Upload[] = [];
  private waiter: ((u: Upload) => void) | undefined;
  failNext = 0;
  readonly uploader = async (u: Upload) => {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('server unreachable');
    }
    this.all.push(u);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(u);
    } else this.waiting.push(u);
  };
  next(): Promise<Upload> {
    const ready = this.waiting.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

let envelopes: PrkEnvelopes;
beforeAll(async () => {
  envelopes = await PrkEnvelopes.create();
});
afterAll(() => envelopes.cleanup());

let root: string;
let prkDir: string;
let prkPath: string;
let stateDir: string;
let sink: UploadSink;
let watcher: PrkWatcher | undefined;
let counter = 0;

/** Like macOS: write a temp file in the same directory, then rename it over FileVaultPRK.dat. */
function atomicWrite(bytes: Buffer) {
  const tmp = join(prkDir, `.FileVaultPRK.dat.${counter++}`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, prkPath);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'escrow-prk-watch-'));
  prkDir = join(root, 'var-db');
  mkdirSync(prkDir);
  prkPath = join(prkDir, 'FileVaultPRK.dat');
  stateDir = join(root, 'state');
  sink = new UploadSink();
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  rmSync(root, { recursive: true, force: true });
});

function startWatcher(extra: Partial<Parameters<typeof createPrkWatcher>[0]> = {}) {
  watcher = createPrkWatcher({
    prkPath,
    stateDir,
    uploader: sink.uploader,
    log,
    malformedRecheckMs: 30,
    ...extra,
  });
  return watcher.start();
}

async function decryptUpload(u: Upload): Promise<string> {
  return (await decryptEnvelope(Buffer.from(u.base64_encrypted, 'base64'), [envelopes.keys])).toString(
    'ascii',
  );
}

describe('PRK watcher', () => {
  it('uploads an atomically replaced PRK file, decryptable to the PRK', async () => {
    await startWatcher();
    const prk = randomPrk();
    atomicWrite(envelopes.encrypt(prk));
    const u = await sink.next();
    expect(u.client_error).toBe('');
    const decrypted = await decryptUpload(u);
    expect(isFileVaultPrk(decrypted)).toBe(true);
    expect(decrypted).toBe(prk);
  });

  it('sends each new key once, also across a replace with identical bytes and a restart', async () => {
    await startWatcher();
    const first = envelopes.encrypt(randomPrk());
    atomicWrite(first);
    await sink.next();
    atomicWrite(Buffer.from(first)); // same bytes, new inode
    await watcher?.checkNow();
    expect(sink.all).toHaveLength(1);
    const second = randomPrk();
    atomicWrite(envelopes.encrypt(second));
    expect(await decryptUpload(await sink.next())).toBe(second);

    await watcher?.stop();
    await startWatcher(); // the current file was already sent: the restart must not send it again
    await watcher?.checkNow();
    expect(sink.all).toHaveLength(2);
  });

  it('sends a file that was written while the agent was not running', async () => {
    const prk = randomPrk();
    writeFileSync(prkPath, envelopes.encrypt(prk));
    await startWatcher();
    expect(await decryptUpload(await sink.next())).toBe(prk);
  });

  it('rejects a file that is not a CMS envelope, reporting it once as client_error', async () => {
    await startWatcher();
    atomicWrite(Buffer.from('ABCD-EFGH-IJKL-MNOP-QRST-UVWX')); // a PRK in clear is never sent
    const u = await sink.next();
    expect(u.base64_encrypted).toBe('');
    expect(u.client_error).toMatch(/not a well-formed CMS envelope \(29 bytes\); not sent/);
    await watcher?.checkNow();
    expect(sink.all).toHaveLength(1);
  });

  it('retries an upload that failed, and only then remembers the key as sent', async () => {
    sink.failNext = 1;
    await startWatcher();
    const prk = randomPrk();
    atomicWrite(envelopes.encrypt(prk));
    expect(await decryptUpload(await sink.next())).toBe(prk);
    expect(sink.all).toHaveLength(1);
  });

  it('falls back to polling when the directory cannot be watched', async () => {
    const later = join(root, 'created-later');
    prkDir = later;
    prkPath = join(later, 'FileVaultPRK.dat');
    await startWatcher({ degradedPollMs: 50 }); // fs.watch on a missing directory throws
    mkdirSync(later);
    const prk = randomPrk();
    atomicWrite(envelopes.encrypt(prk));
    expect(await decryptUpload(await sink.next())).toBe(prk);
  });

  // One-off measurement for the report (issue 7 asks for "within a second"); printed, never asserted.
  it('measures write → upload latency over 30 atomic replaces', async () => {
    await startWatcher();
    const samples: number[] = [];
    const prks: string[] = [];
    for (let i = 0; i < 30; i++) {
      const prk = randomPrk();
      const bytes = envelopes.encrypt(prk);
      const t0 = performance.now();
      atomicWrite(bytes);
      const u = await sink.next();
      samples.push(performance.now() - t0);
      prks.push(await decryptUpload(u));
    }
    expect(prks).toHaveLength(30);
    expect(new Set(prks).size).toBe(30);
    samples.sort((a, b) => a - b);
    const pct = (p: number) =>
      samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]?.toFixed(1);
    console.log(`PRK write → upload latency (ms, n=30): p50 ${pct(0.5)}, p95 ${pct(0.95)}, max ${pct(1)}`);
  });
});
