import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../ipc/desktop-agent/errors.js';
import type { AgentEvent } from '../ipc/desktop-agent/messages.js';
import { createLogger } from '../node-lib/logger.js';
import { EscrowService } from './escrow-orchestrator.js';
import type { RequestContext } from './ipc-server/handlers.js';
import { LogoutDeferralStore } from './logout-deferrals.js';
import type { FileVaultEscrowStatus } from './macos/index.js';
import { macState } from './macos/macos-platform.js';
import type { PlatformEscrow } from './platform-port.js';
import { ReminderStore } from './reminder-store.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';

const H = 3600_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

/** The macOS platform port over a FileVault status the test sets (the module itself is tested elsewhere). */
function fakeMac(fv: FileVaultEscrowStatus): PlatformEscrow {
  return {
    platform: 'darwin',
    state: async (server) => macState(fv, server),
    cachedState: (server) => macState(fv, server),
    createRecoveryKey: async () => {
      throw new AgentError('unsupported_platform', 'no');
    },
    onConfig: async () => {},
    reconcile: async () => {},
    close: async () => {},
  };
}

describe('EscrowService: macOS log-out deferrals', () => {
  let dir: string;
  const fv: FileVaultEscrowStatus = {
    fileVaultOn: true,
    hasPrk: true,
    escrowBuddyInstalled: true,
    mechanismPresent: true,
    generateNewKey: true,
    pendingLogout: true,
  };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-logout-'));
    vi.useFakeTimers({ now: T0, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(status: FileVaultEscrowStatus, reports: Record<string, unknown>[] = []) {
    const events: AgentEvent[] = [];
    const service = new EscrowService({
      platform: fakeMac(status),
      api: {
        serverUrl: 'http://127.0.0.1:1',
        reportStatus: async (r: Record<string, unknown>) => {
          reports.push(r);
        },
        slowDownUntil: () => null,
      } as unknown as AgentApiClient,
      reminders: new ReminderStore(dir),
      logoutDeferrals: new LogoutDeferralStore(dir),
      agentVersion: 'test',
      log: createLogger('test', { level: 'silent' }),
      broadcast: (e) => events.push(e),
    });
    await service.start();
    const defer = () =>
      service.handlers()['logout.defer']({}, {} as RequestContext) as Promise<{
        deferralsLeft: number;
        nextPromptAt: string | null;
        deadline: string | null;
      }>;
    return { service, events, defer };
  }

  const due = (events: AgentEvent[]) => events.filter((e) => e.event === 'action_required').length;

  it('"Later" hides the prompt for an hour, the agent brings it back by itself, and the count survives a restart', async () => {
    const { service, events, defer } = await start(fv);
    expect(service.currentStatus().action).toEqual({
      kind: 'macos_logout',
      deadline: new Date(T0 + 24 * H).toISOString(),
      deferralsLeft: 3,
      nextPromptAt: null,
    });
    expect(due(events)).toBe(1);

    expect(await defer()).toEqual({
      deferralsLeft: 2,
      nextPromptAt: new Date(T0 + H).toISOString(),
      deadline: new Date(T0 + 24 * H).toISOString(),
    });
    expect(due(events)).toBe(1); // deferred: no new prompt
    await vi.advanceTimersByTimeAsync(H + 100);
    expect(due(events)).toBe(2); // the hour ran out: due again, without any server or desktop input
    expect((service.currentStatus().action as { nextPromptAt: string | null }).nextPromptAt).toBeNull();
    service.stop();

    // A restarted agent reads the same count and deadline from the state dir.
    const again = await start(fv);
    expect(again.service.currentStatus().action).toMatchObject({
      deferralsLeft: 2,
      deadline: new Date(T0 + 24 * H).toISOString(),
    });
    await again.defer();
    await vi.advanceTimersByTimeAsync(H + 100);
    await again.defer();
    await expect(again.defer()).rejects.toMatchObject({ code: 'not_permitted' });
    again.service.stop();
  });

  it('past the deadline no deferral is left; once the log-out is no longer needed the record is gone', async () => {
    const status = { ...fv };
    const { service, defer } = await start(status);
    await vi.advanceTimersByTimeAsync(24 * H + 100);
    expect(service.currentStatus().action).toMatchObject({ kind: 'macos_logout', deferralsLeft: 0 });
    await expect(defer()).rejects.toMatchObject({ code: 'not_permitted' });

    status.pendingLogout = false; // the new PRK was seen
    service.onPlatformChange();
    await vi.waitFor(() => expect(service.currentStatus().action).toBeNull());
    await vi.waitFor(async () => expect(await new LogoutDeferralStore(dir).load()).toBeNull());
    await expect(defer()).rejects.toMatchObject({ code: 'not_needed' });
    // The next request starts over: a fresh 24 h and three deferrals.
    status.pendingLogout = true;
    const shownFrom = Date.now();
    service.onPlatformChange();
    await vi.waitFor(() => expect(service.currentStatus().action).toMatchObject({ deferralsLeft: 3 }));
    const action = service.currentStatus().action as { deadline: string };
    expect(Date.parse(action.deadline) - shownFrom).toBeGreaterThanOrEqual(24 * H);
    expect(Date.parse(action.deadline) - shownFrom).toBeLessThan(24 * H + 5000);
    service.stop();
  });

  it('tells the server who is at the screen and how often they postponed the log-out', async () => {
    const reports: Record<string, unknown>[] = [];
    const { service, defer } = await start(fv, reports);
    service.onConnection({ state: 'connected', url: 'http://127.0.0.1:1', lastContactAt: null });
    await vi.waitFor(() => expect(reports.at(-1)).toMatchObject({ logout_deferrals: 0 }));
    expect(reports.at(-1)).not.toHaveProperty('logged_in_user'); // not known yet: not claimed to be nobody

    service.onLoggedInUser('dana');
    await vi.waitFor(() =>
      expect(reports.at(-1)).toMatchObject({ logged_in_user: 'dana', logout_deferrals: 0 }),
    );
    await defer();
    await vi.waitFor(() =>
      expect(reports.at(-1)).toMatchObject({ logged_in_user: 'dana', logout_deferrals: 1 }),
    );
    const sent = reports.length;
    service.onLoggedInUser('dana'); // no change, no report
    await vi.advanceTimersByTimeAsync(10);
    expect(reports).toHaveLength(sent);

    service.onLoggedInUser(null); // logged out
    await vi.waitFor(() => expect(reports.at(-1)).toMatchObject({ logged_in_user: null }));
    fv.pendingLogout = false; // the new PRK arrived: no log-out is asked for any more
    service.onPlatformChange();
    await vi.waitFor(() => expect(reports.at(-1)).toMatchObject({ logout_deferrals: null }));
    fv.pendingLogout = true;
    service.stop();
  });
});
