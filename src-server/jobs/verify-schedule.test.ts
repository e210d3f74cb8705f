import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptToCertificate } from '../../node-lib/cms/index.js';
import { loadEscrowKeys } from '../escrow/key-files.js';
import { initDataDir } from '../init.js';
import { startServer } from '../server.js';
import { hostIdentity, luksKey } from '../test-support/server.js';

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
let dataDir: string;
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('scheduled verification', () => {
  it('runs once at start, so a key stored before a stop is checked without waiting an hour', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'escrow-schedule-'));
    await initDataDir({ dataDir });
    const first = await startServer({ dataDir, verifySchedule: false, logDestination: quiet() });
    const { hostId } = await first.store.enrollHost(hostIdentity('linux', randomUUID()), randomUUID());
    const cert = (await loadEscrowKeys(dataDir)).current.certificatePem;
    await first.store.storeKey(hostId, {
      base64_encrypted: (await encryptToCertificate(Buffer.from(luksKey(51)), cert)).toString('base64'),
      key_slot: 1,
      salt: 's',
      decryptable: null,
      escrow_id: null,
    });
    await first.close();

    const second = await startServer({ dataDir, verifySchedule: '0 * * * *', logDestination: quiet() });
    try {
      let decryptable: boolean | null | undefined = null;
      while (decryptable === null) {
        await new Promise((r) => setTimeout(r, 20));
        decryptable = (await second.store.getHostView(hostId))?.key?.decryptable;
      }
      expect(decryptable).toBe(true);
    } finally {
      await second.close();
    }
  });
});
