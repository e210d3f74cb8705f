import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlreadyInitializedError, initDataDir } from './init.js';

const dirs: string[] = [];
function parent(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'escrow-init-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('initDataDir makes a new data directory whole or not at all', () => {
  it('a new directory: made 0700 in one rename, the certificate path names it, no scratch left', async () => {
    const p = parent();
    const dataDir = path.join(p, 'data');
    const r = await initDataDir({ dataDir });
    expect(readdirSync(p)).toEqual(['data']);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(r.escrow_certificate_path.startsWith(`${dataDir}${path.sep}`)).toBe(true);
    expect(existsSync(r.escrow_certificate_path)).toBe(true);
    await expect(initDataDir({ dataDir })).rejects.toBeInstanceOf(AlreadyInitializedError);
  });

  it('an empty directory made beforehand (mkdir -p) is initialized too', async () => {
    const dataDir = path.join(parent(), 'data');
    mkdirSync(dataDir);
    const r = await initDataDir({ dataDir });
    expect(existsSync(r.escrow_certificate_path)).toBe(true);
  });

  it('a failure half-way leaves no data directory behind', async () => {
    const p = parent();
    const dataDir = path.join(p, 'data');
    // Nothing listens on port 1: the store cannot open after the scratch directory was made.
    await expect(
      initDataDir({ dataDir, databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }),
    ).rejects.toThrow();
    expect(readdirSync(p)).toEqual([]);
  });

  it('what a killed run left (a 0-byte database in the scratch directory) is discarded, not trusted', async () => {
    const p = parent();
    const dataDir = path.join(p, 'data');
    mkdirSync(`${dataDir}.init-partial`);
    writeFileSync(path.join(`${dataDir}.init-partial`, 'escrow.sqlite'), '');
    const r = await initDataDir({ dataDir });
    expect(existsSync(r.escrow_certificate_path)).toBe(true);
    expect(readdirSync(p)).toEqual(['data']);
  });
});
