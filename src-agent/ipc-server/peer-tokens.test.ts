import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerTokens } from './peer-tokens.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tokenDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'peer-tokens-'));
  dirs.push(d);
  return path.join(d, 'tokens');
}

const holders = [
  { uid: 0, name: 'root' },
  { uid: 1000, name: 'alice' },
];

describe('PeerTokens', () => {
  it.runIf(process.getuid?.() === 0)(
    'as root: one 0400 file per allowed uid, owned by that uid',
    async () => {
      const dir = tokenDir();
      const tokens = new PeerTokens(dir, 0);
      await tokens.reset(holders);
      expect(statSync(dir).mode & 0o777).toBe(0o711);
      for (const { uid, name } of holders) {
        const file = path.join(dir, String(uid));
        const st = statSync(file);
        expect(st.mode & 0o777).toBe(0o400);
        expect(st.uid).toBe(uid);
        expect(tokens.identify(readFileSync(file, 'utf8').trim())).toEqual({ uid, name });
      }
      tokens.dispose();
    },
  );

  it('as a normal user: serves only its own uid, since it cannot give a file to anyone else', async () => {
    const dir = tokenDir();
    const me = process.getuid?.() ?? 0;
    // Pretend to be uid 1000 when the test runs as root, so the non-root path is exercised either way.
    const ownUid = me === 0 ? 1000 : me;
    const tokens = new PeerTokens(dir, ownUid);
    await tokens.reset([...holders, { uid: ownUid, name: 'me' }]);
    expect(tokens.holders().map((h) => h.uid)).toEqual([ownUid]);
    const token = readFileSync(path.join(dir, String(ownUid)), 'utf8').trim();
    expect(tokens.identify(token)).toMatchObject({ uid: ownUid });
    expect(() => statSync(path.join(dir, '0'))).toThrow();
    tokens.dispose();
  });

  it('identifies nobody for a malformed or unknown token', async () => {
    const tokens = new PeerTokens(tokenDir(), process.getuid?.() ?? 0);
    await tokens.reset(holders);
    expect(tokens.identify(undefined)).toBeNull();
    expect(tokens.identify('zz')).toBeNull();
    expect(tokens.identify('0'.repeat(64))).toBeNull();
    tokens.dispose();
  });
});
