import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentError } from '../ipc/desktop-agent/errors.js';
import {
  applyDeferrals,
  DEFAULT_LOGOUT_WINDOW_MS,
  deferOnce,
  LogoutDeferralStore,
  nextChangeAt,
  REPROMPT_AFTER_MS,
} from './logout-deferrals.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const H = 60 * 60 * 1000;
const serverAction = (deadline: string | null, allowed = 3) => ({
  kind: 'macos_logout' as const,
  deadline,
  deferralsLeft: allowed,
  nextPromptAt: null,
});
const fresh = { firstPromptAt: T0, used: 0, nextPromptAt: null };

describe('log-out deferrals', () => {
  it('without a server deadline: 24 h from the first prompt, three "Later"s, each hiding the prompt 1 h', () => {
    const a = serverAction(null);
    expect(applyDeferrals(a, fresh, T0)).toEqual({
      kind: 'macos_logout',
      deadline: new Date(T0 + DEFAULT_LOGOUT_WINDOW_MS).toISOString(),
      deferralsLeft: 3,
      nextPromptAt: null,
    });
    let r = deferOnce(a, fresh, T0);
    expect(r).toEqual({ firstPromptAt: T0, used: 1, nextPromptAt: T0 + REPROMPT_AFTER_MS });
    expect(applyDeferrals(a, r, T0 + 1000)).toMatchObject({
      deferralsLeft: 2,
      nextPromptAt: new Date(T0 + H).toISOString(),
    });
    // The hour runs out: the prompt is due again (no nextPromptAt), with the count kept.
    expect(applyDeferrals(a, r, T0 + H)).toMatchObject({ deferralsLeft: 2, nextPromptAt: null });
    r = deferOnce(a, deferOnce(a, r, T0 + H), T0 + 2 * H);
    expect(applyDeferrals(a, r, T0 + 2 * H).deferralsLeft).toBe(0);
    expect(() => deferOnce(a, r, T0 + 3 * H)).toThrow(AgentError);
    try {
      deferOnce(a, r, T0 + 3 * H);
    } catch (e) {
      expect((e as AgentError).code).toBe('not_permitted');
    }
  });

  it('the server deadline and count win; the re-prompt never lands past the deadline; overdue means none left', () => {
    const deadline = new Date(T0 + 30 * 60 * 1000).toISOString();
    const a = serverAction(deadline, 5);
    const r = deferOnce(a, fresh, T0);
    expect(r.nextPromptAt).toBe(Date.parse(deadline));
    expect(applyDeferrals(a, r, T0 + 1)).toMatchObject({ deadline, deferralsLeft: 4 });
    expect(applyDeferrals(a, r, Date.parse(deadline))).toMatchObject({
      deferralsLeft: 0,
      nextPromptAt: null,
    });
    expect(() => deferOnce(a, r, Date.parse(deadline) + 1)).toThrow(/no longer be postponed/);
    expect(applyDeferrals(serverAction(null, 0), fresh, T0).deferralsLeft).toBe(0);
  });

  it('nextChangeAt is the earlier of the re-prompt and the deadline, ignoring the past', () => {
    const a = applyDeferrals(serverAction(null), deferOnce(serverAction(null), fresh, T0), T0);
    expect(nextChangeAt(a, T0)).toBe(T0 + H);
    expect(nextChangeAt(a, T0 + 2 * H)).toBe(T0 + DEFAULT_LOGOUT_WINDOW_MS);
    expect(nextChangeAt(a, T0 + DEFAULT_LOGOUT_WINDOW_MS)).toBeNull();
  });

  describe('store', () => {
    let dir: string;
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('keeps the record across instances (restarts), owner-only, ignores a torn file, clears', async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-deferrals-'));
      const store = new LogoutDeferralStore(dir);
      expect(await store.load()).toBeNull();
      // Written in call order even when not awaited one by one.
      const first = store.save(fresh);
      const second = store.save({ ...fresh, used: 1, nextPromptAt: T0 + H });
      await Promise.all([first, second]);
      expect(await new LogoutDeferralStore(dir).load()).toEqual({ ...fresh, used: 1, nextPromptAt: T0 + H });
      expect((await stat(path.join(dir, 'logout-deferrals.json'))).mode & 0o777).toBe(0o600);
      await writeFile(path.join(dir, 'logout-deferrals.json'), '{"firstPromptAt":');
      expect(await store.load()).toBeNull();
      await store.clear();
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
