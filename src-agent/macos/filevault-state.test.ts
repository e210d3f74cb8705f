import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ESCROW_BUDDY_MECHANISM,
  ensureEscrowBuddyMechanism,
  hasEscrowBuddyMechanism,
  hasPersonalRecoveryKey,
  isEscrowBuddyInstalled,
  mechanismsOf,
  type PlistObject,
  parseFdesetupStatus,
  readFileVaultState,
  readLoginRight,
  withEscrowBuddyMechanism,
} from './filevault-state.js';
import { FixtureRunner, loadRecording, type Recording } from './test-support/fixture-runner.js';

describe('FileVault state from fdesetup', () => {
  it.each([
    ['fdesetup-status-on', 'on'],
    ['fdesetup-status-off', 'off'],
    ['fdesetup-status-encrypting', 'encrypting'],
  ])('%s → %s', async (name, state) => {
    expect(await readFileVaultState(new FixtureRunner([loadRecording(name)]))).toBe(state);
  });

  it('classifies decryption and refuses output it does not know', () => {
    expect(parseFdesetupStatus('FileVault is Off.\nDecryption in progress: Percent completed = 80\n')).toBe(
      'decrypting',
    );
    expect(() => parseFdesetupStatus('Error: must be run as root\n')).toThrow(/unrecognised/);
  });

  it('reads haspersonalrecoverykey true and false', async () => {
    expect(
      await hasPersonalRecoveryKey(
        new FixtureRunner([loadRecording('fdesetup-haspersonalrecoverykey-true')]),
      ),
    ).toBe(true);
    expect(
      await hasPersonalRecoveryKey(
        new FixtureRunner([loadRecording('fdesetup-haspersonalrecoverykey-false')]),
      ),
    ).toBe(false);
  });

  it('turns a failing fdesetup into an error naming the command', async () => {
    const runner = new FixtureRunner([
      { argv: ['/usr/bin/fdesetup', 'status'], code: 1, stdout: '', stderr: 'Error: must be root\n' },
    ]);
    await expect(readFileVaultState(runner)).rejects.toThrow(/fdesetup status exited 1: Error: must be root/);
  });
});

describe('system.login.console', () => {
  it('parses the recorded right and finds Escrow Buddy only where it is', async () => {
    const without = await readLoginRight(
      new FixtureRunner([loadRecording('authdb-read-without-escrow-buddy')]),
    );
    const withIt = await readLoginRight(new FixtureRunner([loadRecording('authdb-read-with-escrow-buddy')]));
    expect(mechanismsOf(without)).toHaveLength(18);
    expect(hasEscrowBuddyMechanism(without)).toBe(false);
    expect(hasEscrowBuddyMechanism(withIt)).toBe(true);
  });

  it('inserts the mechanism right before loginwindow:done, keeping every other key', async () => {
    const right = await readLoginRight(
      new FixtureRunner([loadRecording('authdb-read-without-escrow-buddy')]),
    );
    const fixed = withEscrowBuddyMechanism(right);
    const list = mechanismsOf(fixed);
    expect(list.at(-2)).toBe(ESCROW_BUDDY_MECHANISM);
    expect(list.at(-1)).toBe('loginwindow:done');
    expect(list.filter((m) => m !== ESCROW_BUDDY_MECHANISM)).toEqual(mechanismsOf(right));
    expect({ ...fixed, mechanisms: null }).toEqual({ ...right, mechanisms: null });
    // Identical to what the plugin's own script produces on the same right (the recorded "with" output).
    const recorded = await readLoginRight(
      new FixtureRunner([loadRecording('authdb-read-with-escrow-buddy')]),
    );
    expect(list).toEqual(mechanismsOf(recorded));
  });

  it('refuses to edit a right without loginwindow:done', () => {
    const odd: PlistObject = { class: 'evaluate-mechanisms', mechanisms: ['builtin:login-begin'] };
    expect(() => withEscrowBuddyMechanism(odd)).toThrow(/no loginwindow:done/);
  });
});

describe('ensureEscrowBuddyMechanism', () => {
  let root: string;
  let bundle: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'escrow-bundle-'));
    bundle = join(root, 'Escrow Buddy.bundle');
    mkdirSync(join(bundle, 'Contents', 'Resources'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const setupScriptRun = (name: string): Recording => ({
    ...loadRecording(name),
    argv: ['/bin/bash', join(bundle, 'Contents', 'Resources', 'AuthDBSetup.sh')],
  });

  it('does nothing when the mechanism is present', async () => {
    const runner = new FixtureRunner([loadRecording('authdb-read-with-escrow-buddy')]);
    expect(await ensureEscrowBuddyMechanism(runner, bundle)).toBe('present');
    expect(runner.commandLines()).toEqual(['/usr/bin/security authorizationdb read system.login.console']);
  });

  it("runs the plugin's AuthDBSetup.sh when it ships one, then verifies", async () => {
    const script = join(bundle, 'Contents', 'Resources', 'AuthDBSetup.sh');
    writeFileSync(script, '#!/bin/bash\n');
    chmodSync(script, 0o755);
    const runner = new FixtureRunner([
      loadRecording('authdb-read-without-escrow-buddy'),
      loadRecording('authdb-read-with-escrow-buddy'),
      setupScriptRun('authdbsetup-added'),
    ]);
    expect(await ensureEscrowBuddyMechanism(runner, bundle)).toBe('repaired-by-setup-script');
    expect(runner.commandLines()).toEqual([
      '/usr/bin/security authorizationdb read system.login.console',
      `/bin/bash "${script}"`,
      '/usr/bin/security authorizationdb read system.login.console',
    ]);
  });

  it('writes the right back on stdin when there is no setup script', async () => {
    const runner = new FixtureRunner([
      loadRecording('authdb-read-without-escrow-buddy'),
      loadRecording('authdb-read-with-escrow-buddy'),
      loadRecording('authdb-write-ok'),
    ]);
    expect(await ensureEscrowBuddyMechanism(runner, bundle)).toBe('repaired-by-write');
    const write = runner.calls.find((c) => c.commandLine.includes('write'));
    const written = parse(write?.input?.toString('utf8') ?? '') as PlistObject;
    expect(mechanismsOf(written).at(-2)).toBe(ESCROW_BUDDY_MECHANISM);
    expect(written.class).toBe('evaluate-mechanisms');
    expect(written.tries).toBe(10000);
  });

  it('fails when the mechanism is still missing after the repair', async () => {
    const runner = new FixtureRunner([
      loadRecording('authdb-read-without-escrow-buddy'),
      loadRecording('authdb-write-ok'),
    ]);
    await expect(ensureEscrowBuddyMechanism(runner, bundle)).rejects.toThrow(
      /still missing .* after repaired-by-write/,
    );
  });

  it('sees whether the bundle is installed', async () => {
    expect(await isEscrowBuddyInstalled(bundle)).toBe(true);
    expect(await isEscrowBuddyInstalled(join(root, 'Missing.bundle'))).toBe(false);
  });
});
