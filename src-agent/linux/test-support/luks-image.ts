import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test support: LUKS2 image files made with real cryptsetup and the fast test KDF. Secrets go through
 * stdin here too. The KDF arguments must be passed to luksFormat AND luksAddKey, or luksAddKey
 * re-benchmarks argon2 at 1 GiB.
 */

export const FAST_KDF = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--hash', 'sha256'];

/** FAST_KDF as the agent's SlotPbkdf (for a new passphrase's slot in tests). */
export const FAST_KDF_SLOT = { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } as const;

export type TestImage = { dir: string; path: string; cleanup: () => void };

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `escrow-${prefix}-`));
}

/** A 20 MiB LUKS2 image whose only slot is `slot`, opened by `passphrase`. */
export function makeLuks2Image(passphrase: string, slot = 0): TestImage {
  const dir = makeTempDir('luks');
  const path = join(dir, 'disk.img');
  truncateSync(writeEmpty(path), 20 * 1024 * 1024);
  const args = [
    'luksFormat',
    '--type',
    'luks2',
    '-q',
    ...FAST_KDF,
    '--key-slot',
    String(slot),
    '--key-file=-',
    path,
  ];
  execFileSync('cryptsetup', args, { input: passphrase, stdio: ['pipe', 'ignore', 'pipe'] });
  return { dir, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Add a user slot the way an administrator would (two lines on stdin). */
export function addUserKey(image: string, existing: string, added: string, slot: number): void {
  const args = ['luksAddKey', ...FAST_KDF, '--key-slot', String(slot), image];
  execFileSync('cryptsetup', args, { input: `${existing}\n${added}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

export function opens(image: string, secret: string | Uint8Array, slot?: number): boolean {
  const slotArgs = slot === undefined ? [] : ['--key-slot', String(slot)];
  try {
    execFileSync('cryptsetup', ['open', '--test-passphrase', '--key-file=-', ...slotArgs, image], {
      input: secret,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    return true;
  } catch {
    return false;
  }
}

function writeEmpty(path: string): string {
  writeFileSync(path, '');
  return path;
}
