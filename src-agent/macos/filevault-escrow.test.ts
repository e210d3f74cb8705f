import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptEnvelope, isFileVaultPrk } from '../../node-lib/cms/index.js';
import { createLogger } from '../../node-lib/logger.js';
import type { FileVaultEscrowStatus } from './filevault-escrow.js';
import { createFileVaultEscrow, type FileVaultEscrow } from './index.js';
import { FixtureRunner, loadRecording as rec } from './test-support/fixture-runner.js';
import { PrkEnvelopes, randomPrk } from './test-support/prk-envelopes.js';

type Upload = { base64_encrypted: string; client_error: string };
const log = createLogger('filevault-escrow-test', { level: 'silent' });
// Clock of the recorded Escrow Buddy log: the failed login ran at 17:52:14 UTC.
const ARMED_AT = Date.parse('2024-09-23T17:40:00Z');
const WRITE_TRUE =
  '/usr/bin/defaults write /Library/Preferences/com.netflix.Escrow-Buddy.plist GenerateNewKey -bool true';
const WRITE_FALSE =
  '/usr/bin/defaults write /Library/Preferences/com.netflix.Escrow-Buddy.plist GenerateNewKey -bool false';

let envelopes: PrkEnvelopes;
beforeAll(async () => {
  envelopes = await PrkEnvelopes.create();
});
afterAll(() => envelopes.cleanup());

let root: string;
let prkPath: string;
let bundle: string;
let runner: FixtureRunner;
let uploads: Upload[];
let clock: number;
let escrow: FileVaultEscrow;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'escrow-fv-'));
  mkdirSync(join(root, 'db'));
  prkPath = join(root, 'db', 'FileVaultPRK.dat');
  bundle = join(root, 'Escrow Buddy.bundle');
  mkdirSync(bundle);
  runner = new FixtureRunner();
  uploads = [];
  clock = ARMED_AT;
  escrow = createFileVaultEscrow({
    runner,
    stateDir: join(root, 'state'),
    uploader: async (u) => {
      uploads.push(u);
    },
    log,
    prkPath,
    escrowBuddyBundle: bundle,
    now: () => clock,
    verifyGraceMs: 120_000,
  });
});
afterEach(async () => {
  await escrow.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A Mac with FileVault on, a PRK, Escrow Buddy installed but dropped from the login right by an update. */
function macAfterOsUpdate() {
  runner.add(
    rec('fdesetup-status-on'),
    rec('fdesetup-haspersonalrecoverykey-true'),
    rec('defaults-read-managed-generatenewkey-missing'),
    rec('authdb-write-ok'),
    rec('defaults-write-generatenewkey-true'),
    rec('defaults-write-generatenewkey-false'),
  );
}

function statusWhen(pred: (s: FileVaultEscrowStatus) => boolean): Promise<FileVaultEscrowStatus> {
  return new Promise((resolve) => {
    const off = escrow.onStatusChange((s) => {
      if (pred(s)) {
        off();
        resolve(s);
      }
    });
  });
}

function loginWritesNewPrk(prk: string) {
  const tmp = join(root, 'db', '.prk.tmp');
  writeFileSync(tmp, envelopes.encrypt(prk));
  renameSync(tmp, prkPath);
}

describe('FileVault escrow orchestration', () => {
  it('arms Escrow Buddy on request, escrows the PRK of the next login, and stands down', async () => {
    macAfterOsUpdate();
    // start: refresh; notification: refresh, then repair (read, write, verify) and set the flag.
    runner.add(
      rec('authdb-read-without-escrow-buddy'),
      rec('authdb-read-without-escrow-buddy'),
      rec('authdb-read-without-escrow-buddy'),
      rec('authdb-read-with-escrow-buddy'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-1'),
    );
    await escrow.start();
    expect(escrow.status()).toMatchObject({ fileVaultOn: true, hasPrk: true, mechanismPresent: false });

    await escrow.onNotifications({ rotate_disk_encryption_key: true, run_disk_encryption_escrow: false });
    expect(escrow.status()).toMatchObject({
      escrowBuddyInstalled: true,
      mechanismPresent: true,
      generateNewKey: true,
      pendingLogout: true,
    });
    expect(escrow.status().lastError).toBeUndefined();
    expect(runner.commandLines()).toContain(WRITE_TRUE);
    const written = runner.calls.find((c) => c.commandLine.includes('authorizationdb write'));
    expect(written?.input?.toString()).toContain('<string>Escrow Buddy:Invoke,privileged</string>');

    // The user logs out and in: Escrow Buddy makes a new PRK (macOS writes the file) and resets the flag.
    runner.replace(rec('defaults-read-generatenewkey-0'));
    const prk = randomPrk();
    const escrowed = statusWhen((s) => !s.pendingLogout && s.lastPrkSentAt !== undefined);
    loginWritesNewPrk(prk);
    await escrowed;
    expect(uploads).toHaveLength(1);
    const sent = Buffer.from(uploads[0]?.base64_encrypted ?? '', 'base64');
    const plaintext = (await decryptEnvelope(sent, [envelopes.keys])).toString('ascii');
    expect(isFileVaultPrk(plaintext)).toBe(true);
    expect(plaintext).toBe(prk);

    // The server has not verified it yet and still asks: within the grace period that is not a new request.
    clock += 30_000;
    await escrow.onNotifications({ rotate_disk_encryption_key: true, run_disk_encryption_escrow: false });
    expect(runner.commandLines().filter((c) => c === WRITE_TRUE)).toHaveLength(1);
    expect(escrow.status().pendingLogout).toBe(false);

    // The server verified the key and stops asking; the flag is already down, nothing to write.
    await escrow.onNotifications({ rotate_disk_encryption_key: false, run_disk_encryption_escrow: false });
    expect(escrow.status()).toMatchObject({ pendingLogout: false, generateNewKey: false });
    expect(runner.commandLines()).not.toContain(WRITE_FALSE);
    expect(uploads).toHaveLength(1);
  });

  it("after a login without a new PRK, reports Escrow Buddy's reason and arms again", async () => {
    macAfterOsUpdate();
    runner.add(
      rec('authdb-read-with-escrow-buddy'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-1'),
      rec('log-show-escrow-buddy-fdesetup-failed'),
    );
    await escrow.start();
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    expect(escrow.status().pendingLogout).toBe(true);

    // A smart-card login: Escrow Buddy's fdesetup fails, it resets the flag anyway, no PRK file appears.
    clock = Date.parse('2024-09-23T17:55:00Z');
    runner.replace(rec('defaults-read-generatenewkey-0'), rec('defaults-read-generatenewkey-1'));
    await escrow.onNotifications({ rotate_disk_encryption_key: true });

    const reason =
      'Escrow Buddy: fdesetup changerecovery failed (exit 11): Error: User could not be authenticated. ' +
      'Error: Unable to unlock or authenticate to FileVault.';
    expect(uploads).toEqual([{ base64_encrypted: '', client_error: reason }]);
    expect(escrow.status()).toMatchObject({ generateNewKey: true, pendingLogout: true, lastError: reason });
    expect(runner.commandLines().filter((c) => c === WRITE_TRUE)).toHaveLength(2);
  });

  it('asks again when the server still wants a key after the grace period (the sent key did not decrypt)', async () => {
    macAfterOsUpdate();
    runner.add(
      rec('authdb-read-with-escrow-buddy'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-1'),
    );
    await escrow.start();
    await escrow.onNotifications({ run_disk_encryption_escrow: true });
    runner.replace(rec('defaults-read-generatenewkey-0'));
    const escrowed = statusWhen((s) => s.lastPrkSentAt !== undefined);
    loginWritesNewPrk(randomPrk());
    await escrowed;

    clock += 10 * 60_000;
    runner.replace(rec('defaults-read-generatenewkey-0'), rec('defaults-read-generatenewkey-1'));
    await escrow.onNotifications({ run_disk_encryption_escrow: true });
    expect(runner.commandLines().filter((c) => c === WRITE_TRUE)).toHaveLength(2);
    expect(escrow.status().pendingLogout).toBe(true);
  });

  it('lowers the flag when the server stops asking before the user logged out', async () => {
    macAfterOsUpdate();
    runner.add(
      rec('authdb-read-with-escrow-buddy'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-0'),
      rec('defaults-read-generatenewkey-1'),
    );
    await escrow.start();
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    runner.replace(rec('defaults-read-generatenewkey-1'), rec('defaults-read-generatenewkey-0'));
    await escrow.onNotifications({ rotate_disk_encryption_key: false });
    expect(runner.commandLines().at(-3)).toBe(WRITE_FALSE);
    expect(escrow.status()).toMatchObject({ generateNewKey: false, pendingLogout: false });
  });

  it('reports a managed GenerateNewKey once as client_error and does not prompt a logout', async () => {
    macAfterOsUpdate();
    runner.replace(rec('defaults-read-managed-generatenewkey-0'));
    runner.add(rec('authdb-read-with-escrow-buddy'), rec('defaults-read-generatenewkey-0'));
    await escrow.start();
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.client_error).toMatch(/managed by a configuration profile/);
    expect(escrow.status()).toMatchObject({ pendingLogout: false });
    expect(escrow.status().lastError).toMatch(/Remove GenerateNewKey from the profile/);
  });

  it('reports FileVault off and a missing Escrow Buddy instead of arming', async () => {
    runner.add(
      rec('fdesetup-status-off'),
      rec('authdb-read-with-escrow-buddy'),
      rec('defaults-read-generatenewkey-0'),
    );
    await escrow.start();
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    expect(uploads.map((u) => u.client_error)).toEqual([
      'FileVault is off on this Mac; there is no recovery key to rotate',
    ]);

    rmSync(bundle, { recursive: true });
    runner.replace(rec('fdesetup-status-on'));
    runner.add(rec('authdb-read-with-escrow-buddy'));
    runner.add(rec('fdesetup-haspersonalrecoverykey-true'));
    await escrow.onNotifications({ rotate_disk_encryption_key: true });
    expect(uploads.at(-1)?.client_error).toBe(`Escrow Buddy is not installed (${bundle} is missing)`);
    expect(escrow.status()).toMatchObject({ escrowBuddyInstalled: false, pendingLogout: false });
    expect(runner.commandLines()).not.toContain(WRITE_TRUE);
  });
});
