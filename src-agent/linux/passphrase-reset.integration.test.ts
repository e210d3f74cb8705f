import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import type { LuksEscrow } from './luks-escrow.js';
import {
  allBytesUnder,
  decryptUpload,
  type Harness,
  headerJson,
  luksEscrow,
  makeHarness,
  slotsOf,
} from './test-support/harness.js';
import { addUserKey, makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

/**
 * "Set a new disk passphrase" on real LUKS2 images: the person forgot USER, unlocked with the escrowed key
 * (revealed in the portal), and sets NEW. The fast KDF stands in for argon2 in the new passphrase's slot.
 */

const USER = 'the passphrase Ana forgot';
const NEW = 'a brand new passphrase ✓';
const FAST = { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } as const;
const pw = (s: string) => Buffer.from(s, 'utf8');

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  h.server.received.clear();
  h.server.reachable = true;
});

/** A disk with the user's passphrase in slot 0 and an escrowed key of ours; returns that key as typed. */
async function escrowedDisk(): Promise<{
  img: TestImage;
  api: LuksEscrow;
  usedKey: string;
  usedSlot: number;
}> {
  const img = makeLuks2Image(USER, 0);
  cleanups.push(img.cleanup);
  const api = luksEscrow(h, img.path, join(img.dir, 'state'), { userSlotPbkdf: FAST });
  const first = await api.createRecoveryKey(pw(USER));
  expect(first.outcome).toBe('escrowed');
  const upload = [...h.server.received.values()][0];
  if (!upload) throw new Error('no upload');
  const usedKey = (await decryptUpload(h, upload)).toString('ascii');
  h.server.received.clear();
  return { img, api, usedKey, usedSlot: first.keySlot };
}

async function errorOf(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AgentError) return e;
    throw e;
  }
  throw new Error('expected an AgentError');
}

async function theNewKey(): Promise<{ slot: number; key: Buffer }> {
  const uploads = [...h.server.received.values()];
  expect(uploads).toHaveLength(1);
  const u = uploads[0] as (typeof uploads)[number];
  return { slot: u.key_slot, key: await decryptUpload(h, u) };
}

describe('Set a new disk passphrase (real cryptsetup)', () => {
  it('adds the new passphrase, removes the forgotten one as chosen, escrows a new key, then removes the used one', async () => {
    const { img, api, usedKey, usedSlot } = await escrowedDisk();
    const steps: ProgressStep[] = [];
    const typed = usedKey.toUpperCase().replaceAll('-', ' '); // as read from the portal, in capitals
    const result = await api.setNewPassphrase(pw(typed), pw(NEW), {
      removeOldPassphrase: true,
      onProgress: (s) => steps.push(s),
    });

    expect(result).toMatchObject({ outcome: 'escrowed', oldPassphrase: 'removed' });
    expect(opens(img.path, NEW, result.passphraseSlot)).toBe(true);
    expect(opens(img.path, USER)).toBe(false);
    expect(opens(img.path, usedKey)).toBe(false);
    const fresh = await theNewKey();
    expect(fresh.slot).toBe(result.keySlot);
    expect(opens(img.path, fresh.key, fresh.slot)).toBe(true);
    expect(slotsOf(img.path).sort()).toEqual([result.passphraseSlot, result.keySlot].sort());
    expect(slotsOf(img.path)).not.toContain(usedSlot);
    expect(Object.values(headerJson(img.path).tokens)).toEqual([
      expect.objectContaining({ keyslots: [String(fresh.slot)], state: 'escrowed' }),
    ]);
    expect(steps).toEqual([
      'checking_recovery_key',
      'checking_passphrase',
      'setting_passphrase',
      'removing_old_passphrase',
      'creating_key',
      'saving_to_disk',
      'verifying',
      'uploading',
    ]);
    const status = await api.status();
    expect(status).toMatchObject({ resetPending: false, ourSlot: fresh.slot, tokenState: 'escrowed' });
    // nothing secret was written to the state directory
    const stateBytes = allBytesUnder(join(img.dir, 'state'));
    for (const secret of [NEW, usedKey, fresh.key.toString('ascii')]) {
      expect(stateBytes.includes(Buffer.from(secret))).toBe(false);
    }
  });

  it('keeps the forgotten passphrase when the person says so', async () => {
    const { img, api, usedKey } = await escrowedDisk();
    const result = await api.setNewPassphrase(pw(usedKey), pw(NEW), { removeOldPassphrase: false });
    expect(result.oldPassphrase).toBe('kept');
    expect(opens(img.path, USER, 0)).toBe(true);
    expect(opens(img.path, NEW)).toBe(true);
    expect(opens(img.path, usedKey)).toBe(false);
  });

  it('removes nothing when two slots could be the forgotten passphrase', async () => {
    const { img, api, usedKey } = await escrowedDisk();
    addUserKey(img.path, USER, 'a second person’s passphrase', 5);
    const result = await api.setNewPassphrase(pw(usedKey), pw(NEW), { removeOldPassphrase: true });
    expect(result.oldPassphrase).toBe('kept_several');
    expect(opens(img.path, USER, 0)).toBe(true);
    expect(opens(img.path, 'a second person’s passphrase', 5)).toBe(true);
  });

  it('a wrong recovery key counts against the passphrase attempts and changes nothing', async () => {
    const { img, api, usedKey } = await escrowedDisk();
    const before = headerJson(img.path);
    const wrong = `${usedKey.slice(0, -1)}${usedKey.endsWith('c') ? 'b' : 'c'}`;
    const e = await errorOf(api.setNewPassphrase(pw(wrong), pw(NEW), { removeOldPassphrase: true }));
    expect(e.code).toBe('wrong_recovery_key');
    expect(e.details?.attemptsLeft).toBe(4);
    expect((await api.status()).attemptsLeft).toBe(4);
    expect(headerJson(img.path)).toEqual(before);
    const garbage = await errorOf(
      api.setNewPassphrase(pw('1234-5678'), pw(NEW), { removeOldPassphrase: true }),
    );
    expect(garbage.code).toBe('invalid_recovery_key');
  });

  it('refuses an empty new passphrase, the old one, and the recovery key itself, with a reason', async () => {
    const { img, api, usedKey } = await escrowedDisk();
    const before = headerJson(img.path);
    const empty = await errorOf(api.setNewPassphrase(pw(usedKey), pw(''), { removeOldPassphrase: true }));
    expect(empty).toMatchObject({ code: 'invalid_passphrase', message: 'The passphrase is empty.' });
    const same = await errorOf(api.setNewPassphrase(pw(usedKey), pw(USER), { removeOldPassphrase: true }));
    expect(same.code).toBe('invalid_passphrase');
    expect(same.message).toMatch(/already unlocks this disk/);
    const key = await errorOf(api.setNewPassphrase(pw(usedKey), pw(usedKey), { removeOldPassphrase: true }));
    expect(key.message).toMatch(/cannot be the recovery key/);
    expect(headerJson(img.path)).toEqual(before);
  });

  it('with the server unreachable: the new passphrase works, the used key stays until the new key is sent, then a second run removes it', async () => {
    const { img, api, usedKey } = await escrowedDisk();
    h.server.reachable = false;
    const first = await api.setNewPassphrase(pw(usedKey), pw(NEW), { removeOldPassphrase: true });
    expect(first).toMatchObject({ outcome: 'queued', oldPassphrase: 'removed' });
    expect(opens(img.path, NEW)).toBe(true);
    expect(opens(img.path, usedKey)).toBe(true);
    expect(await api.status()).toMatchObject({ resetPending: true, pendingUpload: true });

    h.server.reachable = true;
    await api.reconcile(); // the agent sends the queued key when the server is back
    expect((await api.status()).resetPending).toBe(true);
    const second = await api.setNewPassphrase(pw(usedKey), pw(NEW), { removeOldPassphrase: true });
    expect(second).toMatchObject({ outcome: 'escrowed', passphraseSlot: first.passphraseSlot });
    expect(opens(img.path, usedKey)).toBe(false);
    expect(opens(img.path, NEW)).toBe(true);
    const fresh = await theNewKey();
    expect(opens(img.path, fresh.key, fresh.slot)).toBe(true);
    expect((await api.status()).resetPending).toBe(false);
  });

  it('refuses when the disk has no escrowed key of ours', async () => {
    const img = makeLuks2Image(USER, 0);
    cleanups.push(img.cleanup);
    const api = luksEscrow(h, img.path, join(img.dir, 'state'), { userSlotPbkdf: FAST });
    const e = await errorOf(api.setNewPassphrase(pw('c'.repeat(64)), pw(NEW), { removeOldPassphrase: true }));
    expect(e.code).toBe('not_needed');
  });
});
