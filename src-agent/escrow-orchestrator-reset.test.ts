import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../ipc/desktop-agent/errors.js';
import type { AgentEvent } from '../ipc/desktop-agent/messages.js';
import { createLogger } from '../node-lib/logger.js';
import { EscrowService } from './escrow-orchestrator.js';
import type { RequestContext } from './ipc-server/handlers.js';
import { linuxState } from './linux/linux-platform.js';
import { luksStatus } from './linux/test-support/luks-status.js';
import type { PlatformEscrow } from './platform-port.js';
import { ReminderStore } from './reminder-store.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';
import { serverConfig } from './test-support/server-wishes.js';

/** The service's side of "Set a new disk passphrase": the prompt, the two secrets, the result. */
describe('EscrowService: luks.setNewPassphrase', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-service-reset-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function serviceWith(platform: PlatformEscrow, events: AgentEvent[]) {
    return new EscrowService({
      platform,
      api: {
        serverUrl: 'http://127.0.0.1:1',
        reportStatus: async () => {},
        slowDownUntil: () => null,
      } as unknown as AgentApiClient,
      reminders: new ReminderStore(dir),
      agentVersion: 'test',
      log: createLogger('test', { level: 'silent' }),
      broadcast: (e) => events.push(e),
    });
  }
  const ctx = (secret: Buffer | null) =>
    ({ peer: { uid: 0, name: 'root' }, secret, requestId: 1, progress: () => {} }) as RequestContext;

  it('asks for a new passphrase when the key was used, and hands the platform both secrets and the choice', async () => {
    let rotated = false;
    const got: { key: string; pass: string; removeOld: boolean }[] = [];
    const status = () =>
      luksStatus({ ourSlot: rotated ? 3 : 1, salt: 's', tokenState: 'escrowed', needsKey: false });
    const platform: PlatformEscrow = {
      platform: 'linux',
      state: async (server) => linuxState(status(), server),
      cachedState: (server) => linuxState(status(), server),
      createRecoveryKey: async () => {
        throw new Error('not this one');
      },
      setNewPassphrase: async (key, pass, options) => {
        got.push({ key: key.toString(), pass: pass.toString(), removeOld: options.removeOldPassphrase });
        key.fill(0);
        pass.fill(0);
        rotated = true;
        service.onKeyAcknowledged();
        return {
          outcome: 'escrowed',
          keySlot: 3,
          escrowedAt: new Date().toISOString(),
          passphraseSlot: 2,
          oldPassphrase: 'removed',
        };
      },
      onConfig: async () => {},
      reconcile: async () => {},
      close: async () => {},
    };
    const events: AgentEvent[] = [];
    const service = serviceWith(platform, events);
    await service.start();
    service.onConfig({
      ...serverConfig({ rotate: true }),
      recovery_key_used: { used_at: '2026-02-01T09:00:00.000Z', shown_to: 'owner' },
    });
    await vi.waitFor(() =>
      expect(service.currentStatus().action).toMatchObject({
        kind: 'luks_new_passphrase',
        reason: 'recovery_key_used',
      }),
    );
    expect(events.some((e) => e.event === 'action_required')).toBe(true);

    const result = await service
      .handlers()
      ['luks.setNewPassphrase']({ removeOldPassphrase: false }, ctx(Buffer.from('cbdefghi\0new words')));
    expect(result).toMatchObject({ outcome: 'escrowed', passphraseSlot: 2 });
    expect(got).toEqual([{ key: 'cbdefghi', pass: 'new words', removeOld: false }]);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'escrow_result',
        data: expect.objectContaining({ outcome: 'escrowed' }),
      }),
    );
    await vi.waitFor(() => expect(service.currentStatus().action).toBeNull());
    service.stop();
  });

  it('refuses a frame without both secrets, and a platform without the flow', async () => {
    const platform: PlatformEscrow = {
      platform: 'darwin',
      state: async (server) => linuxState(luksStatus(), server),
      cachedState: () => null,
      createRecoveryKey: async () => {
        throw new Error('unused');
      },
      onConfig: async () => {},
      reconcile: async () => {},
      close: async () => {},
    };
    const service = serviceWith(platform, []);
    const call = (secret: Buffer | null) =>
      service
        .handlers()
        ['luks.setNewPassphrase']({ removeOldPassphrase: true }, ctx(secret))
        .catch((e) => e);
    expect(await call(Buffer.from('a\0b'))).toMatchObject({ code: 'unsupported_platform' });
    const linux = serviceWith(
      { ...platform, platform: 'linux', setNewPassphrase: async () => ({}) as never },
      [],
    );
    const noSeparator = await linux
      .handlers()
      ['luks.setNewPassphrase']({ removeOldPassphrase: true }, ctx(Buffer.from('only one secret')))
      .catch((e) => e);
    expect(noSeparator).toBeInstanceOf(AgentError);
    expect(noSeparator).toMatchObject({ code: 'invalid_passphrase' });
  });
});
