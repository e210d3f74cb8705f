import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encryptToCertificate } from '../../node-lib/cms/index.js';
import { Journal } from './journal.js';
import { type Harness, headerJson, luksEscrow, makeHarness, slotsOf } from './test-support/harness.js';
import { addUserKey, makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

/**
 * A slot that another writer (an admin, systemd-cryptenroll, configuration management) puts in the place
 * our escrow chose must never be taken for ours: marked with our token, reported as escrowed, and later
 * removed by a rotation. Real cryptsetup on real images.
 */
const USER = 'correct horse battery staple';
const ADMIN = 'an admin key added by hand';
const pw = (s: string) => Buffer.from(s, 'utf8');

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  h.server.received.clear();
});

function image(): { img: TestImage; state: string } {
  const img = makeLuks2Image(USER, 0);
  cleanups.push(img.cleanup);
  return { img, state: join(img.dir, 'state') };
}

const ourTokens = (image: string) =>
  Object.values(headerJson(image).tokens).filter((t) => t.type === 'escrow-desktop');

describe('a slot someone else wrote is never adopted', () => {
  it('when another writer fills the chosen slot during luksAddKey ("slot full"), nothing of it is ours', async () => {
    const { img, state } = image();
    // A cryptsetup that lets an admin add their key to slot 1 just before our luksAddKey writes.
    const wrapper = join(img.dir, 'cryptsetup-racing-admin');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nif [ "$1" = luksAddKey ]; then printf '%s\\n%s\\n' '${USER}' '${ADMIN}' | cryptsetup luksAddKey --key-slot 1 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha256 '${img.path}'; fi\nexec cryptsetup "$@"\n`,
    );
    chmodSync(wrapper, 0o700);
    await expect(
      luksEscrow(h, img.path, state, { cryptsetup: { path: wrapper } }).createRecoveryKey(pw(USER)),
    ).rejects.toThrow();
    expect(slotsOf(img.path)).toEqual([0, 1]);

    const api = luksEscrow(h, img.path, state);
    const report = await api.reconcile();
    expect(report.uploaded).toEqual([]);
    expect(ourTokens(img.path)).toEqual([]);
    expect(h.server.received.size).toBe(0);

    // A real escrow and a rotation later: the admin's slot survives both.
    await api.createRecoveryKey(pw(USER));
    await api.createRecoveryKey(pw(USER), { rotationRequested: true });
    expect(opens(img.path, ADMIN, 1)).toBe(true);
    expect(opens(img.path, USER, 0)).toBe(true);
  });

  it("after a crash, a pending slot filled by another KDF or named by another tool's token stays theirs", async () => {
    for (const foreign of ['other-kdf', 'other-token'] as const) {
      const { img, state } = image();
      const uuid = execFileSync('cryptsetup', ['luksUUID', img.path], { encoding: 'utf8' }).trim();
      // The journal as a crash right after "journal_written" leaves it: slot 1 chosen, header untouched.
      const now = new Date().toISOString();
      const envelope = await encryptToCertificate(Buffer.from('x'.repeat(71)), h.keys.certificatePem);
      await new Journal(state).write({
        version: 1,
        escrow_id: randomUUID(),
        device_uuid: uuid,
        slot: 1,
        slots_before: [0],
        envelope: envelope.toString('base64'),
        state: 'pending',
        salt: null,
        created_at: now,
        updated_at: now,
      });
      if (foreign === 'other-kdf') {
        addUserKey(img.path, USER, ADMIN, 1); // the admin's own KDF settings, not ours
      } else {
        // Our exact KDF, but marked the way systemd-cryptenroll marks its slots.
        execFileSync(
          'cryptsetup',
          [
            'luksAddKey',
            '--key-slot',
            '1',
            '--pbkdf',
            'pbkdf2',
            '--hash',
            'sha512',
            '--pbkdf-force-iterations',
            '1000',
            img.path,
          ],
          { input: `${USER}\n${ADMIN}\n` },
        );
        execFileSync('cryptsetup', ['token', 'import', '--json-file', '-', img.path], {
          input: JSON.stringify({ type: 'systemd-recovery', keyslots: ['1'] }),
        });
      }
      const report = await luksEscrow(h, img.path, state).reconcile();
      expect({ foreign, uploaded: report.uploaded, ours: ourTokens(img.path) }).toEqual({
        foreign,
        uploaded: [],
        ours: [],
      });
      expect(opens(img.path, ADMIN, 1)).toBe(true);
    }
  });
});
