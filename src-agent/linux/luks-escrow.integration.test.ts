import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../ipc/desktop-agent/errors.js';
import type { ProgressStep } from '../../ipc/desktop-agent/messages.js';
import { decryptEnvelope } from '../../node-lib/cms/index.js';
import { LuksEscrow } from './luks-escrow.js';
import { isRecoveryKeyFormat } from './recovery-key.js';
import {
  allBytesUnder,
  decryptUpload,
  formatLuks1,
  type Harness,
  headerJson,
  luksEscrow,
  makeHarness,
  slotsOf,
} from './test-support/harness.js';
import { addUserKey, makeLuks2Image, makeTempDir, opens, type TestImage } from './test-support/luks-image.js';

const USER = 'correct horse battery staple';
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
  h.server.refuse = false;
});

function setup(passphrase = USER, userSlot = 0): { img: TestImage; state: string } {
  const img = makeLuks2Image(passphrase, userSlot);
  cleanups.push(img.cleanup);
  return { img, state: join(img.dir, 'state') };
}

/** The escrow flow with cryptsetup behind a shell wrapper that injects a failure around the real command. */
function withCryptsetupWrapper(img: TestImage, state: string, script: string) {
  const wrapper = join(img.dir, 'cryptsetup-wrapper');
  writeFileSync(wrapper, `#!/bin/sh\n${script}\n`);
  chmodSync(wrapper, 0o700);
  return luksEscrow(h, img.path, state, { cryptsetup: { path: wrapper } });
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

/** The only upload the fake server holds, its decrypted key, and a check that the key opens its slot. */
async function theEscrowedKey(image: string): Promise<{ slot: number; key: Buffer }> {
  const uploads = [...h.server.received.values()];
  expect(uploads).toHaveLength(1);
  const u = uploads[0] as (typeof uploads)[number];
  const key = await decryptUpload(h, u);
  expect(isRecoveryKeyFormat(key)).toBe(true);
  expect(opens(image, key, u.key_slot)).toBe(true);
  expect(headerJson(image).keyslots[String(u.key_slot)]?.kdf.salt).toBe(u.salt);
  return { slot: u.key_slot, key };
}

describe('LUKS escrow flow (real cryptsetup, real CMS)', () => {
  it('escrows a key the server can decrypt and that opens the disk (user key in slot 0)', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    const steps: ProgressStep[] = [];
    const passphrase = pw(USER);
    const result = await api.createRecoveryKey(passphrase, { onProgress: (s) => steps.push(s) });

    expect(result.outcome).toBe('escrowed');
    expect(result.keySlot).toBe(1);
    expect(result.escrowedAt).not.toBeNull();
    expect(steps).toEqual(['checking_passphrase', 'saving_to_disk', 'verifying', 'uploading']);
    expect(passphrase.every((b) => b === 0)).toBe(true); // wiped after use
    const { slot } = await theEscrowedKey(img.path);
    expect(slot).toBe(1);
    expect(opens(img.path, USER, 0)).toBe(true);

    const tokens = Object.values(headerJson(img.path).tokens);
    expect(tokens).toEqual([
      expect.objectContaining({ type: 'escrow-desktop', keyslots: ['1'], state: 'escrowed' }),
    ]);
    const status = await api.status();
    expect(status).toMatchObject({
      encrypted: true,
      luks2: true,
      ourSlot: 1,
      tokenState: 'escrowed',
      pendingUpload: false,
      needsKey: false,
      hostChange: null,
      freeSlots: 30,
      staleSlots: [],
    });
    expect(status.escrowedAt).toBe(result.escrowedAt);
    expect(allBytesUnder(state).toString()).not.toContain('escrow_id'); // journal cleared

    expect((await errorOf(api.createRecoveryKey(pw(USER)))).code).toBe('not_needed');
    expect(slotsOf(img.path)).toEqual([0, 1]);
  });

  it('finds the user key in slot 5 and leaves it alone', async () => {
    const { img, state } = setup(USER, 5);
    const result = await luksEscrow(h, img.path, state).createRecoveryKey(pw(USER));
    expect(result.keySlot).toBe(0);
    await theEscrowedKey(img.path);
    expect(opens(img.path, USER, 5)).toBe(true);
    expect(slotsOf(img.path)).toEqual([0, 5]);
  });

  it('works with several user slots, whichever passphrase the user types', async () => {
    const { img, state } = setup('first user', 0);
    addUserKey(img.path, 'first user', 'second user', 2);
    addUserKey(img.path, 'first user', USER, 3);
    const result = await luksEscrow(h, img.path, state).createRecoveryKey(pw(USER));
    expect(result.keySlot).toBe(1);
    await theEscrowedKey(img.path);
    expect(opens(img.path, 'first user', 0)).toBe(true);
    expect(opens(img.path, 'second user', 2)).toBe(true);
    expect(opens(img.path, USER, 3)).toBe(true);
  });

  it('accepts long passphrases with spaces and any Unicode', async () => {
    const long = 'Ünïcödé パスフレーズ with spaces ✓ '.repeat(16);
    expect(Buffer.byteLength(long)).toBeGreaterThan(512);
    const { img, state } = setup(long, 0);
    expect((await luksEscrow(h, img.path, state).createRecoveryKey(pw(long))).outcome).toBe('escrowed');
    await theEscrowedKey(img.path);
  });

  it('refuses passphrases with a newline, empty or too long, before touching the disk', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    for (const bad of [`${USER}\n`, 'a\nb', '', 'x'.repeat(9000)]) {
      expect((await errorOf(api.createRecoveryKey(pw(bad)))).code).toBe('invalid_passphrase');
    }
    expect(slotsOf(img.path)).toEqual([0]);
  });

  it('refuses cleanly when all 32 slots are used', async () => {
    const { img, state } = setup();
    for (let s = 1; s < 32; s++) addUserKey(img.path, USER, `user key ${s}`, s);
    const err = await errorOf(luksEscrow(h, img.path, state).createRecoveryKey(pw(USER)));
    expect(err.code).toBe('no_free_slot');
    expect(slotsOf(img.path)).toHaveLength(32);
    expect(h.server.received.size).toBe(0);
  });

  it('counts wrong passphrases, cools down after 5 in 10 minutes, and keeps that across a restart', async () => {
    const { img, state } = setup();
    let now = new Date('2026-03-01T12:00:00Z');
    const make = () => luksEscrow(h, img.path, state, { now: () => now });
    const api = make();
    for (const left of [4, 3, 2, 1]) {
      const steps: ProgressStep[] = [];
      const err = await errorOf(
        api.createRecoveryKey(pw('wrong passphrase'), { onProgress: (s) => steps.push(s) }),
      );
      expect(err.code).toBe('wrong_passphrase');
      // Progress follows what happened: the passphrase was checked and refused, nothing was made or saved.
      expect(steps).toEqual(['checking_passphrase']);
      expect(err.details?.attemptsLeft).toBe(left);
      expect(err.message).not.toContain('wrong passphrase');
    }
    const fifth = await errorOf(api.createRecoveryKey(pw('wrong passphrase')));
    expect(fifth.code).toBe('cooldown');
    expect(fifth.details?.until).toBe('2026-03-01T12:10:00.000Z');
    // even the right passphrase waits, also after a restart
    expect((await errorOf(make().createRecoveryKey(pw(USER)))).code).toBe('cooldown');
    expect((await make().status()).cooldownUntil).toBe('2026-03-01T12:10:00.000Z');
    expect(slotsOf(img.path)).toEqual([0]);
    expect(allBytesUnder(state).toString()).not.toContain('"state"'); // no journal entry left behind

    now = new Date('2026-03-01T12:10:01Z');
    expect((await make().createRecoveryKey(pw(USER))).outcome).toBe('escrowed');
    expect((await make().status()).attemptsLeft).toBe(5);
  });

  it('two concurrent requests add one slot: the second is told the device is busy', async () => {
    const { img, state } = setup();
    const a = luksEscrow(h, img.path, state);
    const b = luksEscrow(h, img.path, state); // e.g. the desktop app and escrowctl
    const results = await Promise.allSettled([a.createRecoveryKey(pw(USER)), b.createRecoveryKey(pw(USER))]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AgentError] : []));
    expect(ok).toHaveLength(1);
    expect(failed.map((e) => e.code)).toEqual(['busy']);
    expect(slotsOf(img.path)).toEqual([0, 1]);
    await theEscrowedKey(img.path);
  });

  it('keeps the slot and the journal while the server is down, and escrows once it is back', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    h.server.reachable = false;
    const result = await api.createRecoveryKey(pw(USER));
    expect(result).toMatchObject({ outcome: 'queued', keySlot: 1, escrowedAt: null });
    expect(slotsOf(img.path)).toEqual([0, 1]);
    expect(await api.status()).toMatchObject({
      ourSlot: 1,
      tokenState: 'pending',
      pendingUpload: true,
      needsKey: false,
    });
    expect((await errorOf(api.createRecoveryKey(pw(USER)))).code).toBe('not_needed');

    expect(await api.reconcile()).toMatchObject({ uploaded: [], queued: [expect.any(String)] });
    h.server.reachable = true;
    const report = await api.reconcile();
    expect(report.uploaded).toHaveLength(1);
    expect(await api.status()).toMatchObject({ ourSlot: 1, tokenState: 'escrowed', pendingUpload: false });
    await theEscrowedKey(img.path);
  });

  it('keeps the key when the server refuses it, and sends it again later', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    h.server.refuse = true;
    const err = await errorOf(api.createRecoveryKey(pw(USER)));
    expect(err.code).toBe('internal');
    expect((await api.status()).pendingUpload).toBe(true);
    h.server.refuse = false;
    expect((await api.reconcile()).uploaded).toHaveLength(1);
    await theEscrowedKey(img.path);
  });

  it('does not lose a slot when cryptsetup fails in an unclear way after writing it', async () => {
    const { img, state } = setup();
    // runs the real command, then reports failure for luksAddKey as if it crashed after the write
    const flaky = withCryptsetupWrapper(
      img,
      state,
      'cryptsetup "$@" || exit $?\n[ "$1" = luksAddKey ] && exit 1\nexit 0',
    );
    expect((await errorOf(flaky.createRecoveryKey(pw(USER)))).code).toBe('internal');
    expect(slotsOf(img.path)).toEqual([0, 1]);
    const report = await luksEscrow(h, img.path, state).reconcile();
    expect(report.uploaded).toHaveLength(1);
    await theEscrowedKey(img.path);
  });

  it('takes a new slot out again (token and journal too) when its key does not open it, and sends nothing', async () => {
    const { img, state } = setup();
    // the real command, except that testing one slot's key says "no key": the new slot does not open
    const bad = withCryptsetupWrapper(
      img,
      state,
      'case "$1 $*" in "open "*--key-slot*) cat >/dev/null; echo "No key available with this passphrase." >&2; exit 2;; esac\nexec cryptsetup "$@"',
    );
    const err = await errorOf(bad.createRecoveryKey(pw(USER)));
    expect(err.code).toBe('internal');
    expect(err.message).toMatch(/did not open its slot; the slot was removed/);
    expect(slotsOf(img.path)).toEqual([0]);
    expect(headerJson(img.path).tokens).toEqual({});
    expect(h.server.received.size).toBe(0);
    const status = await luksEscrow(h, img.path, state).status();
    expect(status).toMatchObject({ needsKey: true, pendingUpload: false, tokenState: 'none' });
    expect((await luksEscrow(h, img.path, state).createRecoveryKey(pw(USER))).outcome).toBe('escrowed');
    await theEscrowedKey(img.path);
  });

  it('rotates: new slot escrowed, old escrow slot and token removed, user slot kept', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    await api.createRecoveryKey(pw(USER));
    const { key: oldKey } = await theEscrowedKey(img.path);
    h.server.received.clear();

    const rotated = await api.createRecoveryKey(pw(USER), { rotationRequested: true });
    expect(rotated).toMatchObject({ outcome: 'escrowed', keySlot: 2 });
    const { slot } = await theEscrowedKey(img.path);
    expect(slot).toBe(2);
    expect(slotsOf(img.path)).toEqual([0, 2]);
    expect(opens(img.path, oldKey)).toBe(false);
    expect(opens(img.path, USER, 0)).toBe(true);
    expect(Object.values(headerJson(img.path).tokens).map((t) => t.keyslots)).toEqual([['2']]);
  });

  it('rotation keeps the old escrow slot when the user unlocked with that old recovery key', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    await api.createRecoveryKey(pw(USER));
    const { key: oldKey } = await theEscrowedKey(img.path);
    h.server.received.clear();
    const rotated = await api.createRecoveryKey(Buffer.from(oldKey), { rotationRequested: true });
    expect(rotated).toMatchObject({ outcome: 'escrowed', keySlot: 2 });
    await theEscrowedKey(img.path);
    expect(slotsOf(img.path)).toEqual([0, 1, 2]);
    expect(opens(img.path, oldKey, 1)).toBe(true);
    expect(await api.status()).toMatchObject({ ourSlot: 2, staleSlots: [1] });
  });

  it('notices a key removed on the host, asks for a new one, and cleans up the old token', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    await api.createRecoveryKey(pw(USER));
    execFileSync('cryptsetup', ['luksKillSlot', '--key-file=-', img.path, '1'], { input: USER });

    expect(await api.status()).toMatchObject({ ourSlot: null, needsKey: true, hostChange: 'removed' });
    expect((await api.reconcile()).hostChange).toBe('removed');
    h.server.received.clear();
    expect((await api.createRecoveryKey(pw(USER))).outcome).toBe('escrowed');
    await theEscrowedKey(img.path);
    expect(await api.status()).toMatchObject({ needsKey: false, hostChange: null });
    expect(Object.keys(headerJson(img.path).tokens)).toHaveLength(1);
  });

  it('notices a key changed on the host (new salt in our slot) and never removes that slot', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    await api.createRecoveryKey(pw(USER));
    const { key } = await theEscrowedKey(img.path);
    execFileSync(
      'cryptsetup',
      ['luksChangeKey', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', img.path],
      {
        input: Buffer.concat([key, pw('\nadmin replaced it\n')]),
      },
    );
    expect(await api.status()).toMatchObject({ ourSlot: null, needsKey: true, hostChange: 'changed' });
    h.server.received.clear();
    await api.createRecoveryKey(pw(USER));
    expect(opens(img.path, 'admin replaced it')).toBe(true); // not ours any more: kept
    await theEscrowedKey(img.path);
  });

  it('gives a clear code for a missing device, a non-LUKS file, LUKS1 and a missing cryptsetup', async () => {
    const dir = makeTempDir('notluks');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const plain = join(dir, 'plain.img');
    writeFileSync(plain, '');
    truncateSync(plain, 4 * 1024 * 1024);
    const luks1 = join(dir, 'luks1.img');
    writeFileSync(luks1, '');
    truncateSync(luks1, 4 * 1024 * 1024);
    formatLuks1(luks1, USER);
    const state = join(dir, 'state');
    const code = async (device: string, extra = {}) =>
      (await errorOf(luksEscrow(h, device, state, extra).createRecoveryKey(pw(USER)))).code;
    expect(await code(join(dir, 'missing.img'))).toBe('no_luks_device');
    expect(await code(plain)).toBe('no_luks_device');
    expect(await code(luks1)).toBe('unsupported_luks');
    expect(await code(plain, { cryptsetup: { path: join(dir, 'no-cryptsetup') } })).toBe(
      'cryptsetup_missing',
    );
    expect(await luksEscrow(h, luks1, state).status()).toMatchObject({ encrypted: true, luks2: false });
    expect(await luksEscrow(h, plain, state).status()).toMatchObject({ encrypted: false, luks2: false });
  });

  it('never writes the passphrase or the key to logs, the journal or the state directory', async () => {
    const secret = 'unique-passphrase-7f3a9c';
    const { img, state } = setup(secret);
    const api = new LuksEscrow(h.options(img.path, state));
    h.server.reachable = false; // the journal (spool) stays on disk
    await api.createRecoveryKey(pw(secret));
    h.server.reachable = true;
    await api.reconcile();
    const { key } = await theEscrowedKey(img.path);
    h.server.reachable = false;
    h.server.received.clear();
    await api.createRecoveryKey(pw(secret), { rotationRequested: true }); // queued again: a journal entry with an envelope is on disk now
    const onDisk = allBytesUnder(state);
    const spooled = JSON.parse(onDisk.toString().match(/\{"version".*\}/)?.[0] ?? '{}');
    const queuedKey = await decryptEnvelope(Buffer.from(spooled.envelope, 'base64'), [h.keys]);
    expect(opens(img.path, queuedKey, spooled.slot)).toBe(true);
    const logText = h.logs.join('');
    expect(logText).toContain('escrow slot added');
    for (const s of [pw(secret), key, queuedKey]) {
      expect(onDisk.includes(s)).toBe(false);
      expect(Buffer.from(logText).includes(s)).toBe(false);
    }
  });
});
