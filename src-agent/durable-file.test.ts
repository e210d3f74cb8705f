import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonStateFile } from './durable-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateFile() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'state-file-'));
  dirs.push(dir);
  const file = path.join(dir, 'state', 'x.json');
  return { file, state: new JsonStateFile(file, z.object({ n: z.number() })) };
}

describe('JsonStateFile', () => {
  it('loads null when the file is missing, torn, or does not match the schema', async () => {
    const { file, state } = stateFile();
    expect(await state.load()).toBeNull();
    await state.save({ n: 1 });
    writeFileSync(file, '{"n": 1');
    expect(await state.load()).toBeNull();
    writeFileSync(file, '{"n": "one"}');
    expect(await state.load()).toBeNull();
  });

  it('saves into a private directory and reads back what it saved', async () => {
    const { file, state } = stateFile();
    await state.save({ n: 7 });
    expect(await state.load()).toEqual({ n: 7 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    await state.clear();
    expect(await state.load()).toBeNull();
  });

  it('writes in call order: the last save started is the one on disk', async () => {
    const { file, state } = stateFile();
    await Promise.all([state.save({ n: 1 }), state.save({ n: 2 }), state.save({ n: 3 })]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ n: 3 });
    // The value is captured when save is called, not when its turn in the queue comes.
    const value = { n: 5 };
    const saved = state.save(value);
    value.n = 99;
    await saved;
    expect(await state.load()).toEqual({ n: 5 });
    const afterClear = [state.save({ n: 4 }), state.clear()];
    await Promise.all(afterClear);
    expect(await state.load()).toBeNull();
  });
});
