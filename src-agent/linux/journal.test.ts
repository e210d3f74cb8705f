import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Journal, type PendingEntry } from './journal.js';

const stateDir = mkdtempSync(join(tmpdir(), 'escrow-journal-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/**
 * A kill during an entry's atomic write leaves its temp file (`.<name>.<random>.tmp`). list() never reads
 * one, and before the sweep nothing removed it, so every interrupted write left a file in the state dir for
 * ever (the agent's kill suite found them). The sweep runs at start, under the device lock.
 */
it('sweeps the temp files of interrupted writes and keeps every entry', async () => {
  const journal = new Journal(stateDir);
  const now = new Date().toISOString();
  const entry: PendingEntry = {
    version: 1,
    escrow_id: randomUUID(),
    device_uuid: 'c0ffee00-0000-4000-8000-000000000001',
    slot: 1,
    slots_before: [0],
    envelope: 'AAAA',
    state: 'pending',
    salt: null,
    created_at: now,
    updated_at: now,
  };
  await journal.write(entry);
  const dir = join(stateDir, 'luks-journal');
  writeFileSync(join(dir, `.${entry.escrow_id}.json.0a1b2c3d4e5f.tmp`), '{"version":1,"escr');
  writeFileSync(join(dir, `.${randomUUID()}.json.ffeeddccbbaa.tmp`), '');

  expect(await journal.sweepInterruptedWrites()).toBe(2);
  expect(readdirSync(dir)).toEqual([`${entry.escrow_id}.json`]);
  expect(await journal.list(entry.device_uuid)).toEqual([entry]);
  expect(await journal.sweepInterruptedWrites()).toBe(0);
});

it('has nothing to sweep before the first entry', async () => {
  expect(await new Journal(join(stateDir, 'fresh')).sweepInterruptedWrites()).toBe(0);
});
