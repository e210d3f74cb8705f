import { describe, expect, it } from 'vitest';
import { createExecFileRunner, formatCommandLine } from './command-runner.js';
import { FixtureRunner, loadRecording } from './test-support/fixture-runner.js';

describe('createExecFileRunner (real processes)', () => {
  const runner = createExecFileRunner();

  it('returns stdout and exit code 0', async () => {
    expect(await runner.run('/bin/echo', ['FileVault is On.'])).toEqual({
      code: 0,
      stdout: 'FileVault is On.\n',
      stderr: '',
    });
  });

  it('passes input on stdin, not argv', async () => {
    const r = await runner.run('/bin/cat', [], { input: Buffer.from('<plist/>') });
    expect(r.stdout).toBe('<plist/>');
  });

  it('reports a non-zero exit as a result with stderr, not as an exception', async () => {
    const r = await runner.run('/bin/sh', ['-c', 'echo "does not exist" >&2; exit 1']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'does not exist\n' });
  });

  it('does not use a shell: metacharacters reach the program verbatim', async () => {
    const r = await runner.run('/bin/echo', ['$(id)', '; ls']);
    expect(r.stdout).toBe('$(id) ; ls\n');
  });

  it('rejects when the program cannot start', async () => {
    await expect(runner.run('/nonexistent/fdesetup', ['status'])).rejects.toThrow(/could not run/);
  });

  it('rejects on timeout', async () => {
    const slow = createExecFileRunner({ timeoutMs: 100 });
    await expect(slow.run('/bin/sleep', ['5'])).rejects.toThrow(/could not run/);
  });
});

describe('FixtureRunner', () => {
  it('replays a recording by command line and records calls with their input', async () => {
    const runner = new FixtureRunner([loadRecording('fdesetup-status-on')]);
    const r = await runner.run('/usr/bin/fdesetup', ['status'], { input: Buffer.from('x') });
    expect(r.stdout).toBe('FileVault is On.\n');
    expect(runner.calls).toEqual([{ commandLine: '/usr/bin/fdesetup status', input: Buffer.from('x') }]);
  });

  it('fails loudly on a command nobody recorded', async () => {
    const runner = new FixtureRunner([loadRecording('fdesetup-status-on')]);
    await expect(runner.run('/usr/bin/fdesetup', ['disable'])).rejects.toThrow(
      /unexpected command: \/usr\/bin\/fdesetup disable/,
    );
  });

  it('plays queued outputs in order and then keeps replaying the last', async () => {
    const runner = new FixtureRunner([
      loadRecording('defaults-read-generatenewkey-1'),
      loadRecording('defaults-read-generatenewkey-0'),
    ]);
    const args = ['read', '/Library/Preferences/com.netflix.Escrow-Buddy.plist', 'GenerateNewKey'];
    const outputs = [];
    for (let i = 0; i < 3; i++) outputs.push((await runner.run('/usr/bin/defaults', args)).stdout);
    expect(outputs).toEqual(['1\n', '0\n', '0\n']);
  });

  it('quotes arguments with spaces in command lines', () => {
    expect(formatCommandLine('/bin/bash', ['/Library/A B/x.sh'])).toBe('/bin/bash "/Library/A B/x.sh"');
  });

  it('knows every recording in the manifest, with its files present', () => {
    expect(loadRecording('authdb-read-with-escrow-buddy').stderr).toBe('YES (0)\n');
    expect(() => loadRecording('no-such-recording')).toThrow(/no recording named/);
  });
});
