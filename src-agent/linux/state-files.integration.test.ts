import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptLimiter, COOLDOWN_MS, MAX_FAILURES } from './attempt-limiter.js';
import { DeviceLock } from './device-lock.js';
import { Journal, type PendingEntry } from './journal.js';
import { makeTempDir } from './test-support/luks-image.js';

const dirs: string[] = [];
function stateDir(): string {
  const d = join(makeTempDir('state'), 'state');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(join(d, '..'), { recursive: true, force: true });
});

function entry(over: Partial<PendingEntry> = {}): PendingEntry {
  const now = new Date().toISOString();
  return {
    version: 1,
    escrow_id: randomUUID(),
    device_uuid: 'dev-uuid',
    slot: 1,
    slots_before: [0],
    envelope: 'TUlJQg==',
    state: 'pending',
    salt: null,
    created_at: now,
    updated_at: now,
    ...over,
  };
}

describe('Journal', () => {
  it('writes entries durably in a 0700 directory with 0600 files, lists them per device, removes them', async () => {
    const dir = stateDir();
    const j = new Journal(dir);
    const a = entry();
    await j.write(a);
    await j.write(entry({ device_uuid: 'other' }));
    await j.write({ ...a, state: 'slot_added', salt: 'c2FsdA==' });
    const listed = await j.list('dev-uuid');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ escrow_id: a.escrow_id, state: 'slot_added', salt: 'c2FsdA==' });
    expect(statSync(join(dir, 'luks-journal')).mode & 0o777).toBe(0o700);
    const file = join(dir, 'luks-journal', `${a.escrow_id}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'luks-journal')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await j.remove(a.escrow_id);
    await j.remove(a.escrow_id); // idempotent
    expect(await j.list('dev-uuid')).toEqual([]);
  });

  it('refuses to write an invalid entry and skips unreadable files with a report', async () => {
    const dir = stateDir();
    const bad: string[] = [];
    const j = new Journal(dir, (f) => bad.push(f));
    await expect(j.write({ ...entry(), slot: 40 })).rejects.toThrow();
    await j.write(entry());
    writeFileSync(join(dir, 'luks-journal', `${randomUUID()}.json`), '{"half":');
    writeFileSync(join(dir, 'luks-journal', `.${randomUUID()}.json.123.tmp`), 'partial');
    expect(await j.list('dev-uuid')).toHaveLength(1);
    expect(bad).toHaveLength(1);
  });

  it('lists nothing when the state directory does not exist yet', async () => {
    expect(await new Journal(stateDir()).list('x')).toEqual([]);
  });
});

describe('AttemptLimiter', () => {
  it('counts down, then cools down for 10 minutes, and survives a restart', async () => {
    const dir = stateDir();
    let now = new Date('2026-01-01T10:00:00Z');
    const clock = () => now;
    const limiter = new AttemptLimiter(dir, 'uuid-1', clock);
    expect(await limiter.status()).toEqual({ attemptsLeft: MAX_FAILURES, cooldownUntil: null });
    for (let i = 1; i < MAX_FAILURES; i++) {
      expect((await limiter.recordFailure()).attemptsLeft).toBe(MAX_FAILURES - i);
    }
    const last = await limiter.recordFailure();
    expect(last.cooldownUntil?.toISOString()).toBe(new Date(now.getTime() + COOLDOWN_MS).toISOString());
    // a new agent process reads the same file
    const restarted = new AttemptLimiter(dir, 'uuid-1', clock);
    expect((await restarted.status()).cooldownUntil).not.toBeNull();
    expect((await new AttemptLimiter(dir, 'uuid-2', clock).status()).cooldownUntil).toBeNull();
    now = new Date(now.getTime() + COOLDOWN_MS + 1);
    expect(await restarted.status()).toEqual({ attemptsLeft: MAX_FAILURES, cooldownUntil: null });
  });

  it('forgets failures older than the window and resets on success', async () => {
    const dir = stateDir();
    let now = new Date('2026-01-01T10:00:00Z');
    const limiter = new AttemptLimiter(dir, 'u', () => now);
    await limiter.recordFailure();
    await limiter.recordFailure();
    now = new Date(now.getTime() + 11 * 60_000);
    expect((await limiter.recordFailure()).attemptsLeft).toBe(MAX_FAILURES - 1);
    await limiter.reset();
    expect((await limiter.status()).attemptsLeft).toBe(MAX_FAILURES);
  });

  it('treats a damaged counter file as a cool-down, not as unlimited attempts', async () => {
    const dir = stateDir();
    const limiter = new AttemptLimiter(dir, 'u', () => new Date());
    await limiter.reset();
    writeFileSync(join(dir, 'luks-attempts-u.json'), 'garbage');
    expect((await limiter.status()).cooldownUntil).not.toBeNull();
  });
});

describe('DeviceLock', () => {
  it('lets one holder in at a time, in this process and through the lock file', async () => {
    const dir = stateDir();
    const release = await new DeviceLock(dir).tryAcquire('uuid');
    expect(release).not.toBeNull();
    expect(await new DeviceLock(dir).tryAcquire('uuid')).toBeNull();
    expect(await new DeviceLock(dir).tryAcquire('other')).not.toBeNull();
    await release?.();
    expect(await new DeviceLock(dir).tryAcquire('uuid')).not.toBeNull();
  });

  it('takes over a lock file left by a crashed process, also after a reboot reused its pid', async () => {
    const dir = stateDir();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync('/proc/1/stat', 'utf8');
    const pid1Start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    await new DeviceLock(dir).tryAcquire('init').then((r) => r?.());
    writeFileSync(join(dir, 'luks-dead.lock'), `${bootId} 2147483646 12345`); // no such pid
    expect(await new DeviceLock(dir).tryAcquire('dead')).not.toBeNull();
    writeFileSync(join(dir, 'luks-reboot.lock'), `00000000-0000-0000-0000-000000000000 1 ${pid1Start}`);
    expect(await new DeviceLock(dir).tryAcquire('reboot')).not.toBeNull();
    writeFileSync(join(dir, 'luks-reused.lock'), `${bootId} 1 1`); // pid 1 runs, but started at another time
    expect(await new DeviceLock(dir).tryAcquire('reused')).not.toBeNull();
    writeFileSync(join(dir, 'luks-live.lock'), `${bootId} 1 ${pid1Start}`); // pid 1 itself holds it
    expect(await new DeviceLock(dir).tryAcquire('live')).toBeNull();
  });
});
