import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptToCertificate } from '../../node-lib/cms/index.js';
import { isDecryptable } from '../escrow/key-check.js';
import { loadEscrowKeys } from '../escrow/key-files.js';
import { hostIdentity, luksKey, startTestServer, type TestServer } from '../test-support/server.js';
import type { DecryptabilityCheck } from './verify-keys.js';

let t: TestServer;
let certificatePem: string;
beforeEach(async () => {
  t = await startTestServer();
  certificatePem = (await loadEscrowKeys(t.dataDir)).current.certificatePem;
});
afterEach(async () => {
  await t.close();
});

const envelope = async (key: string) =>
  (await encryptToCertificate(Buffer.from(key), certificatePem)).toString('base64');

/** Keys stored unchecked, as when the server stopped between storing and checking. */
async function hostWithUncheckedKey(base64: string): Promise<number> {
  const { hostId } = await t.server.store.enrollHost(hostIdentity('linux', randomUUID()), randomUUID());
  await t.server.store.storeKey(hostId, {
    base64_encrypted: base64,
    key_slot: 1,
    salt: 's',
    decryptable: null,
    escrow_id: null,
  });
  return hostId;
}

describe('verification job', () => {
  it('marks unchecked keys decryptable or not', async () => {
    const good = await hostWithUncheckedKey(await envelope(luksKey(31)));
    const bad = await hostWithUncheckedKey(Buffer.from('not an envelope').toString('base64'));
    const r = await t.server.verifyKeysNow();
    expect(r).toEqual({ checked: 2, decryptable: 1, undecryptable: 1, skippedChanged: 0 });
    expect((await t.server.store.getHostView(good))?.key?.decryptable).toBe(true);
    expect((await t.server.store.getHostView(bad))?.key?.decryptable).toBe(false);
    expect(await t.server.verifyKeysNow()).toEqual({
      checked: 0,
      decryptable: 0,
      undecryptable: 0,
      skippedChanged: 0,
    });
  });

  it('goes through more keys than one page holds, each once', async () => {
    const hosts: number[] = [];
    for (let i = 0; i < 1234; i++) hosts.push(await hostWithUncheckedKey(i % 3 === 0 ? 'AAAA' : 'BBBB'));
    const seen: string[] = [];
    // A stand-in for the decrypt step (the real one is tested above): what matters here is the paging.
    const check: DecryptabilityCheck = async (b64) => {
      seen.push(b64);
      return b64 === 'AAAA';
    };
    const r = await t.server.verifyKeysNow(check);
    expect(r).toEqual({ checked: 1234, decryptable: 412, undecryptable: 822, skippedChanged: 0 });
    expect(seen).toHaveLength(1234);
    expect((await t.server.store.getHostView(hosts[0] as number))?.key?.decryptable).toBe(true);
    expect((await t.server.store.getHostView(hosts[1233] as number))?.key?.decryptable).toBe(true);
    expect((await t.server.store.getHostView(hosts[1232] as number))?.key?.decryptable).toBe(false);
  });

  it('does not overwrite a key that changed while the job decrypted the old one', async () => {
    const raced = await hostWithUncheckedKey(
      Buffer.from('old envelope, will not decrypt').toString('base64'),
    );
    const other = await hostWithUncheckedKey(await envelope(luksKey(32)));
    const newEnvelope = await envelope(luksKey(33));
    // The race, made deterministic: a new key lands while the job is decrypting the old one.
    const racing: DecryptabilityCheck = async (b64, platform, keys) => {
      const answer = await isDecryptable(b64, platform, keys);
      if (b64 !== newEnvelope && (await t.server.store.getHostView(raced))?.key?.base64_encrypted === b64) {
        await t.server.store.storeKey(raced, {
          base64_encrypted: newEnvelope,
          key_slot: 2,
          salt: 's2',
          decryptable: null,
          escrow_id: null,
        });
      }
      return answer;
    };
    const first = await t.server.verifyKeysNow(racing);
    expect(first.skippedChanged).toBe(1);
    const racedKey = (await t.server.store.getHostView(raced))?.key;
    expect(racedKey?.base64_encrypted).toBe(newEnvelope);
    // The old key's "false" must not have landed on the new key: it is either unchecked or checked itself.
    expect(racedKey?.decryptable).not.toBe(false);
    expect((await t.server.store.getHostView(other))?.key?.decryptable).toBe(true);
    await t.server.verifyKeysNow();
    expect((await t.server.store.getHostView(raced))?.key?.decryptable).toBe(true);
  });
});
