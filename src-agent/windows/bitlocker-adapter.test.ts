import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addRecoveryPassword,
  isRecoveryPasswordBytes,
  readRecoveryPassword,
  readSnapshot,
  startEncryption,
} from './bitlocker-adapter.js';
import { BitLockerError, describeHresult } from './bitlocker-errors.js';
import { BITLOCKER_SCRIPTS } from './bitlocker-scripts.js';
import {
  type BitLockerShell,
  createPowerShellRunner,
  powerShellArgs,
  type ShellResult,
} from './bitlocker-shell.js';
import { BitLockerMachine, fixture, PASSWORDS } from './test-support/bitlocker-machine.js';
import { tempStateDir } from './test-support/key-server.js';

const C = '\\\\?\\Volume{5e1c2a8b-7d3f-4c1e-9a2b-3f4d5e6a7b8c}\\';
const OURS = '{6D7E8F90-1A2B-4C3D-8E4F-5A6B7C8D9E0F}';

/** One canned answer; keeps the Buffer it returned so a test can check it was wiped. */
function answering(stdout: string, code = 0): BitLockerShell & { last: Buffer | null } {
  const shell = {
    last: null as Buffer | null,
    async run(): Promise<ShellResult> {
      shell.last = Buffer.from(stdout);
      return { code, stdout: shell.last, stderr: '' };
    },
  };
  return shell;
}

describe('readRecoveryPassword', () => {
  it('returns the 48 digits as a Buffer and wipes PowerShell’s output', async () => {
    const shell = answering(fixture('read-recovery-password-ok.json'));
    const pw = await readRecoveryPassword(shell, C, OURS);
    expect(pw.toString('latin1')).toBe(PASSWORDS[0]);
    expect(shell.last?.every((b) => b === 0)).toBe(true);
  });

  it('refuses an answer that is not a BitLocker recovery password', async () => {
    const bad =
      '{"NumericalPassword":"236962-154297-450780-347809-122408-590601-395703-689591","ReturnValue":0}';
    await expect(readRecoveryPassword(answering(bad), C, OURS)).rejects.toThrow(/well-formed 48-digit/);
  });

  it('turns a non-zero ReturnValue into words with the code', async () => {
    const shell = answering('{"NumericalPassword":"","ReturnValue":2150694912}');
    await expect(readRecoveryPassword(shell, C, OURS)).rejects.toThrow(/locked by BitLocker.*0x80310000/);
  });
});

describe('isRecoveryPasswordBytes', () => {
  it('accepts BitLocker’s shape and refuses near misses', () => {
    for (const p of PASSWORDS) expect(isRecoveryPasswordBytes(Buffer.from(p))).toBe(true);
    expect(
      isRecoveryPasswordBytes(Buffer.from('720896-154297-450780-347809-122408-590601-395703-689590')),
    ).toBe(false); // a multiple of 11 but above the 16-bit range
    expect(isRecoveryPasswordBytes(Buffer.from(`${PASSWORDS[0]}0`))).toBe(false);
    expect(isRecoveryPasswordBytes(Buffer.from(PASSWORDS[0].replace(/-/g, ' ')))).toBe(false);
  });
});

describe('method errors (recorded HRESULT answers)', () => {
  it('bootable media: the user is told to remove it, and may fix it themselves', async () => {
    const err = await startEncryption(answering(fixture('encrypt-bootable-media.json')), C, {
      method: 7,
      flags: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BitLockerError);
    expect((err as BitLockerError).message).toMatch(/bootable CD, DVD or USB.*0x80310030/);
    expect((err as BitLockerError).userCanFix).toBe(true);
  });

  it('policy forbids a recovery password: named as Group Policy, IT’s problem', async () => {
    const err = (await addRecoveryPassword(
      answering(fixture('add-recovery-password-policy-forbids.json')),
      C,
    ).catch((e: unknown) => e)) as BitLockerError;
    expect(err.message).toMatch(/Group Policy does not allow a 48-digit recovery password/);
    expect(err.userCanFix).toBe(false);
  });

  it('a script failure (not elevated) says so', async () => {
    await expect(readSnapshot(answering(fixture('script-access-denied.json'), 1))).rejects.toThrow(
      /LocalSystem.*0x80070005/,
    );
  });

  it('an unknown HRESULT still carries its code', () => {
    expect(describeHresult(0x80310099, 'Starting encryption')).toBe(
      'Starting encryption failed: BitLocker returned an error (0x80310099)',
    );
  });
});

describe('the scripts', () => {
  it('never take a password as input: Windows generates it', () => {
    expect(BITLOCKER_SCRIPTS['add-recovery-password']).not.toMatch(/NumericalPassword\s*=/);
    expect(BITLOCKER_SCRIPTS['add-recovery-password']).toMatch(/ProtectKeyWithNumericalPassword/);
  });

  it('compare device IDs in PowerShell instead of building a WQL filter from them', () => {
    for (const s of Object.values(BITLOCKER_SCRIPTS)) expect(s).not.toMatch(/-Filter/);
  });

  it('travel as -EncodedCommand (UTF-16LE base64) that decodes back to the script', () => {
    const args = powerShellArgs('encrypt');
    expect(args.slice(0, 6)).toEqual([
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    expect(Buffer.from(args[6] as string, 'base64').toString('utf16le')).toBe(BITLOCKER_SCRIPTS.encrypt);
  });
});

describe('createPowerShellRunner (real process, a stand-in interpreter)', () => {
  it('sends parameters on stdin, never in argv, and returns stdout as a Buffer', async () => {
    const dir = await tempStateDir();
    const exe = join(dir, 'fake-powershell');
    // Prints its stdin, then its argument count: proves where the parameters went.
    await writeFile(exe, '#!/bin/sh\ncat\nprintf "|%s" "$#"\n');
    await chmod(exe, 0o755);
    const r = await createPowerShellRunner({ powershell: exe }).run('delete-protector', {
      deviceId: C,
      protectorId: OURS,
    });
    expect(Buffer.isBuffer(r.stdout)).toBe(true);
    expect(r.stdout.toString()).toBe(`${JSON.stringify({ deviceId: C, protectorId: OURS })}|7`);
  });

  it('reports a non-zero exit as a result', async () => {
    const r = await createPowerShellRunner({ powershell: '/bin/false' }).run('read-state');
    expect(r.code).toBe(1);
  });

  it('rejects when PowerShell cannot start', async () => {
    await expect(
      createPowerShellRunner({ powershell: '/nonexistent/powershell.exe' }).run('read-state'),
    ).rejects.toThrow(/could not run/);
  });
});

describe('BitLockerMachine (the test double) answers in the recorded shapes', () => {
  it('adds a protector that read-state then lists', async () => {
    const m = new BitLockerMachine('read-state-clear.json');
    const id = await addRecoveryPassword(m, C);
    const snap = await readSnapshot(m);
    expect(snap.volumes[0]?.protectors).toEqual([{ id, type: 3 }]);
  });
});
