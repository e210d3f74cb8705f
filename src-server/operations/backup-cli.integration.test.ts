import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The commands as an operator runs them (built bin/escrow-server): the passphrase never in argv. */
const BIN = resolve('bin/escrow-server');
const work = mkdtempSync(join(tmpdir(), 'escrow-backup-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PASSPHRASE = 'a long enough passphrase\n';

describe('escrow-server backup / restore', () => {
  it('backs up with the passphrase on file descriptor 3 and restores with it on stdin', async () => {
    const source = join(work, 'source');
    expect(spawnSync(process.execPath, [BIN, 'init', '--data-dir', source, '--json']).status).toBe(0);
    const out = join(work, 'keys.backup');
    const backup = spawn(
      process.execPath,
      [BIN, 'backup', '--data-dir', source, '--out', out, '--passphrase-fd', '3'],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    (backup.stdio[3] as NodeJS.WritableStream).end(PASSPHRASE);
    let said = '';
    backup.stdout?.on('data', (d: Buffer) => {
      said += d.toString();
    });
    expect(await new Promise((r) => backup.once('exit', r))).toBe(0);
    expect(said).toContain('escrow keys and the SQLite database');

    const target = join(work, 'target');
    const wrong = spawnSync(
      process.execPath,
      [BIN, 'restore', '--data-dir', target, '--in', out, '--passphrase-stdin'],
      {
        input: 'not the passphrase\n',
        encoding: 'utf8',
      },
    );
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('wrong passphrase');
    const restored = spawnSync(
      process.execPath,
      [BIN, 'restore', '--data-dir', target, '--in', out, '--passphrase-stdin'],
      { input: PASSPHRASE, encoding: 'utf8' },
    );
    expect(restored.stderr).toBe('');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toContain('Restored 1 escrow key generation(s) and the SQLite database');
    expect(readFileSync(join(target, 'escrow-keys', '0001.key.pem'))).toEqual(
      readFileSync(join(source, 'escrow-keys', '0001.key.pem')),
    );
    // Both ways of giving it, or neither: refused.
    const neither = spawnSync(
      process.execPath,
      [BIN, 'backup', '--data-dir', source, '--out', join(work, 'x')],
      {
        encoding: 'utf8',
        input: '',
      },
    );
    expect(neither.status).toBe(1);
    expect(neither.stderr).toContain('exactly one of --passphrase-stdin or --passphrase-fd');
  }, 120_000);
});
