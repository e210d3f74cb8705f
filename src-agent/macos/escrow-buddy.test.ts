import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MANAGED_PREFS_PATH,
  DEFAULT_PREFS_PATH,
  failureReasonFromLog,
  parseLogShowJson,
  parseLogTimestamp,
  readEscrowBuddyFailure,
  readGenerateNewKey,
  setGenerateNewKey,
} from './escrow-buddy.js';
import { FixtureRunner, loadRecording } from './test-support/fixture-runner.js';

const paths = { prefsPath: DEFAULT_PREFS_PATH, managedPrefsPath: DEFAULT_MANAGED_PREFS_PATH };
// The recorded Escrow Buddy run happened at 2024-09-23 10:52:14 -0700 (17:52:14 UTC).
const BEFORE_RUN = Date.parse('2024-09-23T17:30:00Z');
const AFTER_RUN = Date.parse('2024-09-23T18:00:00Z');

describe('GenerateNewKey', () => {
  it.each([
    ['defaults-read-generatenewkey-1', true],
    ['defaults-read-generatenewkey-0', false],
    ['defaults-read-generatenewkey-missing', undefined],
  ])('%s reads as %s', async (name, value) => {
    expect(await readGenerateNewKey(new FixtureRunner([loadRecording(name)]), DEFAULT_PREFS_PATH)).toBe(
      value,
    );
  });

  it('writes with -bool, checks the managed layer, reads back', async () => {
    const runner = new FixtureRunner([
      loadRecording('defaults-write-generatenewkey-true'),
      loadRecording('defaults-read-managed-generatenewkey-missing'),
      loadRecording('defaults-read-generatenewkey-1'),
    ]);
    await setGenerateNewKey(runner, true, paths);
    expect(runner.commandLines()).toEqual([
      '/usr/bin/defaults write /Library/Preferences/com.netflix.Escrow-Buddy.plist GenerateNewKey -bool true',
      '/usr/bin/defaults read "/Library/Managed Preferences/com.netflix.Escrow-Buddy.plist" GenerateNewKey',
      '/usr/bin/defaults read /Library/Preferences/com.netflix.Escrow-Buddy.plist GenerateNewKey',
    ]);
  });

  it('names the profile as the cause when GenerateNewKey is managed', async () => {
    const runner = new FixtureRunner([
      loadRecording('defaults-write-generatenewkey-true'),
      loadRecording('defaults-read-managed-generatenewkey-0'),
    ]);
    await expect(setGenerateNewKey(runner, true, paths)).rejects.toThrow(
      /managed by a configuration profile \(\/Library\/Managed Preferences\/com\.netflix\.Escrow-Buddy\.plist sets it to false\)/,
    );
  });

  it('fails when the value read back differs from the one written', async () => {
    const runner = new FixtureRunner([
      loadRecording('defaults-write-generatenewkey-true'),
      loadRecording('defaults-read-managed-generatenewkey-missing'),
      loadRecording('defaults-read-generatenewkey-0'),
    ]);
    await expect(setGenerateNewKey(runner, true, paths)).rejects.toThrow(
      /wrote GenerateNewKey=true .* read back false/,
    );
  });
});

describe("Escrow Buddy's unified log", () => {
  it('parses log show timestamps with their UTC offset', () => {
    expect(parseLogTimestamp('2024-09-23 10:52:14.105944-0700')).toBe(Date.parse('2024-09-23T17:52:14.105Z'));
    expect(parseLogTimestamp('yesterday')).toBeNaN();
  });

  it("extracts fdesetup's error from a failed run", async () => {
    const runner = new FixtureRunner([loadRecording('log-show-escrow-buddy-fdesetup-failed')]);
    expect(await readEscrowBuddyFailure(runner, BEFORE_RUN)).toBe(
      'Escrow Buddy: fdesetup changerecovery failed (exit 11): Error: User could not be authenticated. ' +
        'Error: Unable to unlock or authenticate to FileVault.',
    );
    expect(runner.commandLines()).toEqual([
      '/usr/bin/log show --predicate "subsystem == \\"com.netflix.Escrow-Buddy\\"" --style json --last 1h',
    ]);
  });

  it('reports no failure for a successful run', async () => {
    const runner = new FixtureRunner([loadRecording('log-show-escrow-buddy-success')]);
    expect(await readEscrowBuddyFailure(runner, BEFORE_RUN)).toBeUndefined();
  });

  it('says Escrow Buddy did not run when no run happened since the flag was set', async () => {
    const runner = new FixtureRunner([loadRecording('log-show-escrow-buddy-fdesetup-failed')]);
    expect(await readEscrowBuddyFailure(runner, AFTER_RUN)).toMatch(/did not run at the last login/);
    expect(failureReasonFromLog(parseLogShowJson(''), BEFORE_RUN)).toMatch(/did not run/);
  });

  it('falls back to the first error line, then to a skip reason', () => {
    const at = '2024-09-23 10:52:14.200000-0700';
    const errorRun = [
      { timestamp: at, messageType: 'Default', eventMessage: 'Starting Escrow Buddy:Invoke' },
      { timestamp: at, messageType: 'Error', eventMessage: 'Unable to instantiate password' },
    ];
    expect(failureReasonFromLog(errorRun, BEFORE_RUN)).toBe('Escrow Buddy: Unable to instantiate password');
    const skipped = [
      { timestamp: at, messageType: 'Default', eventMessage: 'Starting Escrow Buddy:Invoke' },
      { timestamp: at, messageType: 'Default', eventMessage: 'GenerateNewKey is False' },
    ];
    expect(failureReasonFromLog(skipped, BEFORE_RUN)).toBe('Escrow Buddy: skipped: GenerateNewKey is False');
  });

  it('turns a failing log show into a reason instead of an exception', async () => {
    const runner = new FixtureRunner([
      {
        ...loadRecording('log-show-escrow-buddy-success'),
        code: 64,
        stdout: '',
        stderr: 'log: bad predicate\n',
      },
    ]);
    expect(await readEscrowBuddyFailure(runner, BEFORE_RUN)).toMatch(
      /log show exited 64: log: bad predicate/,
    );
  });
});
