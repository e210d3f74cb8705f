import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptEnvelope, encryptToCertificate } from '../../node-lib/cms/index.js';
import { addEscrowKeyGeneration, loadEscrowKeys } from '../escrow/key-files.js';
import { initDataDir } from '../init.js';
import { openStore } from '../storage/open.js';
import { luksKey } from '../test-support/server.js';
import { BackupError, makeBackup, restoreBackup } from './backup.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'escrow-backup-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const passphrase = () => Buffer.from('correct horse battery staple');

describe('backup and restore', () => {
  it('restores 1,000 escrowed keys (two certificate generations) onto a fresh data dir, and every key decrypts', async () => {
    const source = tempDir();
    await initDataDir({ dataDir: source });
    const store = await openStore({ dataDir: source });
    const expected = new Map<number, string>();
    let keys = await loadEscrowKeys(source);
    for (let i = 0; i < 1000; i++) {
      // Half escrowed under the first certificate, half after a rotation.
      if (i === 500) {
        await addEscrowKeyGeneration(source);
        keys = await loadEscrowKeys(source);
      }
      const uuid = randomUUID();
      const { hostId } = await store.enrollHost(
        {
          hardware_uuid: uuid,
          hardware_serial: `S${i}`,
          hostname: `h${i}`,
          platform: 'linux',
          os_version: 'Debian 12',
        },
        `nodekey-${uuid}`,
      );
      const key = luksKey(i);
      const envelope = await encryptToCertificate(Buffer.from(key, 'latin1'), keys.current.certificatePem);
      await store.storeKey(hostId, {
        base64_encrypted: envelope.toString('base64'),
        key_slot: 1,
        salt: 's',
        decryptable: true,
        escrow_id: null,
      });
      expected.set(hostId, key);
    }
    await store.close();

    const backup = await makeBackup({ dataDir: source, postgres: false, passphrase: passphrase() });
    // Nothing readable in the file: no PEM, no key.
    expect(backup.toString()).not.toContain('PRIVATE KEY');
    expect(backup.toString()).not.toContain(luksKey(1));
    rmSync(source, { recursive: true, force: true });

    const fresh = tempDir();
    const r = await restoreBackup({ dataDir: fresh, backup, passphrase: passphrase(), postgres: false });
    expect(r).toEqual({ generations: 2, store: 'sqlite' });
    expect(statSync(join(fresh, 'escrow-keys', '0001.key.pem')).mode & 0o777).toBe(0o600);
    const restoredKeys = await loadEscrowKeys(fresh);
    const restored = await openStore({ dataDir: fresh });
    try {
      let decrypted = 0;
      for (const [hostId, key] of expected) {
        const view = await restored.getHostView(hostId);
        const envelope = Buffer.from(view?.key?.base64_encrypted ?? '', 'base64');
        expect((await decryptEnvelope(envelope, restoredKeys.all)).toString('latin1')).toBe(key);
        decrypted += 1;
      }
      expect(decrypted).toBe(1000);
    } finally {
      await restored.close();
    }
  }, 300_000);

  it('refuses a wrong passphrase, a changed file, a data dir in use and a short passphrase', async () => {
    const source = tempDir();
    await initDataDir({ dataDir: source });
    await expect(
      makeBackup({ dataDir: source, postgres: false, passphrase: Buffer.from('short') }),
    ).rejects.toThrow(/at least 12/);
    const backup = await makeBackup({ dataDir: source, postgres: false, passphrase: passphrase() });
    await expect(
      restoreBackup({
        dataDir: tempDir(),
        backup,
        passphrase: Buffer.from('the wrong passphrase'),
        postgres: false,
      }),
    ).rejects.toThrow(BackupError);
    const envelope = JSON.parse(backup.toString()) as { ciphertext: string };
    const flipped = Buffer.from(envelope.ciphertext, 'base64');
    flipped[10] = (flipped[10] as number) ^ 1;
    const changed = Buffer.from(JSON.stringify({ ...envelope, ciphertext: flipped.toString('base64') }));
    await expect(
      restoreBackup({ dataDir: tempDir(), backup: changed, passphrase: passphrase(), postgres: false }),
    ).rejects.toThrow(/wrong passphrase, or the backup was changed/);
    // The source itself already has keys: nothing is overwritten.
    const keyBefore = readFileSync(join(source, 'escrow-keys', '0001.key.pem'));
    await expect(
      restoreBackup({ dataDir: source, backup, passphrase: passphrase(), postgres: false }),
    ).rejects.toThrow(/already holds/);
    expect(readFileSync(join(source, 'escrow-keys', '0001.key.pem'))).toEqual(keyBefore);
    await expect(
      restoreBackup({ dataDir: tempDir(), backup, passphrase: passphrase(), postgres: true }),
    ).rejects.toThrow(/without --database/);
  });
});
