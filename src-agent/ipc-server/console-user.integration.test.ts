import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConsoleUser, watchConsoleUser } from './console-user.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeConsole(uid: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  dirs.push(dir);
  const file = path.join(dir, 'console');
  writeFileSync(file, '');
  chownSync(file, uid, 0);
  return file;
}

// Handing the console to another user needs chown, i.e. root (CI runs as root).
describe.runIf(process.getuid?.() === 0)('the macOS console user', () => {
  it('is nobody while root owns the console (the login window)', async () => {
    expect(await readConsoleUser(fakeConsole(0))).toEqual([]);
  });

  it('is the owner of the console, named through the real user database', async () => {
    expect(await readConsoleUser(fakeConsole(65534))).toEqual([{ uid: 65534, name: 'nobody' }]);
  });

  it('is followed when the console changes hands', async () => {
    const file = fakeConsole(0);
    let changes = 0;
    const watch = watchConsoleUser(() => changes++, file, 20);
    await new Promise((r) => setTimeout(r, 60));
    chownSync(file, 65534, 0);
    await expect.poll(() => changes, { timeout: 2_000 }).toBe(1);
    watch.close();
  });
});
