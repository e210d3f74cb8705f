import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../../node-lib/error-message.js';
import { Cryptsetup, CryptsetupError, classify, pbkdfArgs, type SlotPbkdf } from './cryptsetup.js';
import { freeSlots, usedSlots } from './luks-metadata.js';
import { addUserKey, makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

const FAST: SlotPbkdf = { type: 'pbkdf2', hash: 'sha256', iterations: 1000 };
const b = (s: string) => Buffer.from(s, 'utf8');

const images: TestImage[] = [];
function image(pass = 'user pass', slot = 0): TestImage {
  const img = makeLuks2Image(pass, slot);
  images.push(img);
  return img;
}
afterEach(() => {
  for (const img of images.splice(0)) img.cleanup();
});

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof CryptsetupError ? e.kind : `other: ${errorMessage(e)}`;
  }
}

/** The pipes' directory for the tests' luksAddKey runs (the agent uses one inside its state directory). */
const PIPES = mkdtempSync(join(tmpdir(), 'escrow-cs-pipes-'));
afterAll(() => rmSync(PIPES, { recursive: true, force: true }));

describe('Cryptsetup (real cryptsetup on LUKS2 image files)', () => {
  const cs = new Cryptsetup({ pipeDir: PIPES });

  it('reports a version of at least 2.4', async () => {
    const v = await cs.version();
    expect(v.major * 100 + v.minor).toBeGreaterThanOrEqual(204);
  });

  it('identifies LUKS2 from its header, other files as null, a missing device as no_device', async () => {
    const img = image();
    const luksUuid = execFileSync('cryptsetup', ['luksUUID', img.path], { encoding: 'utf8' }).trim();
    expect(await cs.identify(img.path)).toEqual({ version: 2, uuid: luksUuid });
    const plain = join(img.dir, 'plain.bin');
    writeFileSync(plain, Buffer.alloc(1024 * 1024));
    expect(await cs.identify(plain)).toBeNull();
    expect(await cs.identify(img.dir)).toBeNull();
    expect(await kindOf(cs.identify(join(img.dir, 'nope.img')))).toBe('no_device');
    expect(await kindOf(cs.dump(plain))).toBe('not_luks');
  });

  it('tells LUKS1 apart, and asks cryptsetup when the primary header is damaged (identify and dump)', async () => {
    const img = image();
    const v1 = join(img.dir, 'luks1.img');
    writeFileSync(v1, Buffer.alloc(8 * 1024 * 1024));
    const format = [
      'luksFormat',
      '--type',
      'luks1',
      '-q',
      '--pbkdf-force-iterations',
      '1000',
      '--key-file=-',
    ];
    execFileSync('cryptsetup', [...format, v1], { input: 'pw' });
    expect((await cs.identify(v1))?.version).toBe(1);
    // A zeroed primary header: cryptsetup still opens the disk from its secondary copy, so must we.
    const uuid = (await cs.identify(img.path))?.uuid;
    const fd = openSync(img.path, 'r+');
    writeSync(fd, Buffer.alloc(4096), 0, 4096, 0);
    closeSync(fd);
    expect(await cs.identify(img.path)).toEqual({ version: 2, uuid });
    expect(usedSlots(await cs.dump(img.path))).toEqual([0]); // luksDump reads the secondary copy
  });

  it('parses the header JSON', async () => {
    const img = image('pw', 3);
    const meta = await cs.dump(img.path);
    expect(usedSlots(meta)).toEqual([3]);
    expect(freeSlots(meta)).toHaveLength(31);
    expect(meta.keyslots['3']?.kdf.salt).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it('finds which slot a passphrase opens, and rejects a wrong one', async () => {
    const img = image('first', 0);
    addUserKey(img.path, 'first', 'second', 7);
    expect(await cs.testPassphrase(img.path, b('second'))).toBe(7);
    expect(await cs.testPassphrase(img.path, b('first'), 0)).toBe(0);
    expect(await kindOf(cs.testPassphrase(img.path, b('second'), 0))).toBe('wrong_passphrase');
    expect(await kindOf(cs.testPassphrase(img.path, b('wrong')))).toBe('wrong_passphrase');
  });

  it('adds a key in a chosen slot, authorised by a passphrase of any slot', async () => {
    const img = image('mine', 4);
    await cs.addKey(img.path, b('mine'), b('new-key'), 9, FAST);
    expect(opens(img.path, 'new-key', 9)).toBe(true);
    expect(opens(img.path, 'mine', 4)).toBe(true);
    expect(opens(img.path, 'new-key\n', 9)).toBe(false); // exact bytes: no newline was added
    expect(await kindOf(cs.addKey(img.path, b('mine'), b('other'), 9, FAST))).toBe('slot_in_use');
    expect(await kindOf(cs.addKey(img.path, b('wrong'), b('other'), 10, FAST))).toBe('wrong_passphrase');
  });

  it('passes long passphrases with spaces and any Unicode intact', async () => {
    const long = 'pässwörd mit Leerzeichen ✓ 🙂 日本語 '.repeat(20);
    expect(Buffer.byteLength(long)).toBeGreaterThan(512);
    const img = image('start', 0);
    await cs.addKey(img.path, b('start'), b(long), 1, FAST);
    expect(opens(img.path, long, 1)).toBe(true);
    await cs.addKey(img.path, b(long), b('k2'), 2, FAST);
    expect(opens(img.path, 'k2', 2)).toBe(true);
  });

  it('passes secrets as exact bytes (a trailing newline is part of the key) and refuses empty keys', async () => {
    const img = image('pw', 0);
    expect(await kindOf(cs.addKey(img.path, b('pw\n'), b('new'), 1, FAST))).toBe('wrong_passphrase');
    await cs.addKey(img.path, b('pw'), b('with newline\n'), 1, FAST);
    expect(opens(img.path, 'with newline\n', 1)).toBe(true);
    expect(opens(img.path, 'with newline', 1)).toBe(false);
    expect(await kindOf(cs.addKey(img.path, b('pw'), Buffer.alloc(0), 2, FAST))).toBe('invalid_input');
    expect(await kindOf(cs.killSlot(img.path, 0, Buffer.alloc(0)))).toBe('invalid_input');
    expect(usedSlots(await cs.dump(img.path))).toEqual([0, 1]);
  });

  it('hands the new key over a private named pipe that is gone afterwards, also when cryptsetup fails early', async () => {
    const img = image('pw', 0);
    const tmpDir = join(img.dir, 'tmp');
    mkdirSync(tmpDir);
    const local = new Cryptsetup({ pipeDir: tmpDir });
    await local.addKey(img.path, b('pw'), b('k1'), 1, FAST);
    expect(await kindOf(local.addKey(img.path, b('wrong'), b('k2'), 2, FAST))).toBe('wrong_passphrase');
    const plain = join(img.dir, 'plain.bin');
    writeFileSync(plain, Buffer.alloc(1024 * 1024));
    expect(await kindOf(local.addKey(plain, b('pw'), b('k3'), 2, FAST))).toBe('not_luks'); // never reads the pipe
    expect(await kindOf(local.addKey(join(img.dir, 'missing'), b('pw'), b('k3'), 2, FAST))).toBe('no_device');
    expect(readdirSync(tmpDir)).toEqual([]);
    expect(opens(img.path, 'k1', 1)).toBe(true);
  });

  it('starts luksAddKey only once the caller is ready, and not at all when it is not', async () => {
    const img = image('pw', 0);
    const tmpDir = join(img.dir, 'tmp');
    mkdirSync(tmpDir);
    const local = new Cryptsetup({ pipeDir: tmpDir });
    let release = () => {};
    const ready = new Promise<void>((r) => {
      release = r;
    });
    const adding = local.addKey(img.path, b('pw'), b('k1'), 1, FAST, ready);
    await new Promise((r) => setTimeout(r, 200)); // time enough for the pipes and a run, were it started
    expect(usedSlots(await cs.dump(img.path))).toEqual([0]);
    release();
    await adding;
    expect(opens(img.path, 'k1', 1)).toBe(true);

    const journalFailed = Promise.reject(new Error('journal write failed: ENOSPC'));
    await expect(local.addKey(img.path, b('pw'), b('k2'), 2, FAST, journalFailed)).rejects.toThrow(/ENOSPC/);
    expect(usedSlots(await cs.dump(img.path))).toEqual([0, 1]);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('imports, replaces, reads back and removes tokens', async () => {
    const img = image();
    const id = await cs.tokenImport(img.path, { type: 'escrow-desktop', keyslots: ['0'], state: 'pending' });
    expect((await cs.dump(img.path)).tokens[String(id)]).toEqual({
      type: 'escrow-desktop',
      keyslots: ['0'],
      state: 'pending',
    });
    await cs.tokenImport(img.path, { type: 'escrow-desktop', keyslots: ['0'], state: 'escrowed' }, id);
    expect((await cs.dump(img.path)).tokens[String(id)]).toMatchObject({ state: 'escrowed' });
    await cs.tokenRemove(img.path, id);
    expect((await cs.dump(img.path)).tokens).toEqual({});
  });

  it('removes a slot with its own key, and kills a slot only with a key of another slot', async () => {
    const img = image('user', 0);
    await cs.addKey(img.path, b('user'), b('escrow-a'), 1, FAST);
    await cs.addKey(img.path, b('user'), b('escrow-b'), 2, FAST);
    await cs.removeKeyWithItsKey(img.path, b('escrow-a'));
    expect(usedSlots(await cs.dump(img.path))).toEqual([0, 2]);
    // luksKillSlot refuses the slot's own key while other slots exist (measured on 2.6.1)
    expect(await kindOf(cs.killSlot(img.path, 2, b('escrow-b')))).toBe('wrong_passphrase');
    await cs.killSlot(img.path, 2, b('user'));
    expect(usedSlots(await cs.dump(img.path))).toEqual([0]);
    expect(opens(img.path, 'user', 0)).toBe(true);
  });

  it('unlocks the user slot only once per luksAddKey (the floor for the whole escrow)', async () => {
    const img = image('user', 0);
    const debugLog = join(img.dir, 'debug.log');
    const wrapper = join(img.dir, 'cryptsetup-debug');
    writeFileSync(wrapper, `#!/bin/sh\nexec cryptsetup --debug "$@" >>'${debugLog}' 2>&1\n`);
    chmodSync(wrapper, 0o700);
    await new Cryptsetup({ path: wrapper, pipeDir: PIPES }).addKey(img.path, b('user'), b('escrow'), 1, FAST);
    const log = readFileSync(debugLog, 'utf8');
    expect(log.match(/Trying to open LUKS2 keyslot 0\./g)).toHaveLength(1);
    expect(log).not.toContain('Checking volume passphrase');
    expect(opens(img.path, 'escrow', 1)).toBe(true);
  });

  it('retries writes that collide with another writer ("concurrent LUKS2 metadata update")', async () => {
    const img = image();
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) => cs.tokenImport(img.path, { type: `t${i}`, keyslots: [] })),
    );
    expect(new Set(ids).size).toBe(12);
    expect(Object.keys((await cs.dump(img.path)).tokens)).toHaveLength(12);
  });

  it('reports a missing binary as kind missing', async () => {
    const missing = new Cryptsetup({ path: '/nonexistent/cryptsetup' });
    expect(await kindOf(missing.version())).toBe('missing');
  });

  it('never puts a secret in argv or the environment, and never uses batch mode', async () => {
    const img = image('user secret 1', 0);
    const log = join(img.dir, 'argv.log');
    const wrapper = join(img.dir, 'cryptsetup-wrapper');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nenv >> '${log}'\nexec cryptsetup "$@"\n`,
    );
    chmodSync(wrapper, 0o700);
    const spy = new Cryptsetup({ path: wrapper, pipeDir: PIPES });
    await spy.addKey(img.path, b('user secret 1'), b('escrow secret 2'), 1, FAST);
    await spy.testPassphrase(img.path, b('escrow secret 2'), 1);
    await spy.addKey(img.path, b('user secret 1'), b('escrow secret 3'), 2, FAST);
    await spy.killSlot(img.path, 2, b('escrow secret 2'));
    await spy.removeKeyWithItsKey(img.path, b('escrow secret 2'));
    const logged = readFileSync(log, 'utf8');
    expect(logged).toContain('luksAddKey');
    expect(logged).toContain('luksKillSlot');
    for (const secret of ['user secret', 'escrow secret']) expect(logged).not.toContain(secret);
    expect(logged).not.toMatch(/(^| )(-q|--batch-mode)( |$)/m);
  });
});

describe('classify (exit code and message table from docs/linux-luks.md)', () => {
  it.each([
    [2, 'No key available with this passphrase.', 'wrong_passphrase'],
    [1, 'Device x is not a valid LUKS device.', 'not_luks'],
    [4, 'Device x does not exist or access denied.', 'no_device'],
    [1, 'All key slots full.', 'slots_full'],
    [1, 'Key slot 3 is full, please select another one.', 'slot_in_use'],
    [1, 'Nothing to read on input.', 'empty_input'],
    [1, 'Detected attempt for concurrent LUKS2 metadata update. Aborting operation.', 'concurrent_update'],
    [1, 'Something else.', 'failed'],
  ])('exit %i "%s" → %s', (code, stderr, kind) => {
    expect(classify({ code, stderr })).toBe(kind);
  });

  it('builds KDF arguments for the new slot', () => {
    expect(pbkdfArgs({ type: 'pbkdf2', hash: 'sha512', iterations: 1000 })).toEqual([
      '--pbkdf',
      'pbkdf2',
      '--hash',
      'sha512',
      '--pbkdf-force-iterations',
      '1000',
    ]);
    expect(pbkdfArgs({ type: 'argon2id' })).toEqual(['--pbkdf', 'argon2id']);
  });
});
