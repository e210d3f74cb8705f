import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '../ipc/desktop-agent/messages.js';
import { createLogger } from '../node-lib/logger.js';
import { EscrowService, newKeyRequested } from './escrow-orchestrator.js';
import type { RequestContext } from './ipc-server/handlers.js';
import { linuxState } from './linux/linux-platform.js';
import { luksStatus } from './linux/test-support/luks-status.js';
import type { PlatformEscrow, ServerWishes } from './platform-port.js';
import { ReminderStore } from './reminder-store.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';
import { serverConfig } from './test-support/server-wishes.js';

describe('newKeyRequested: what the server asks for, as the service judges it', () => {
  it('an escrow or rotation request counts while encryption is enabled', () => {
    expect(newKeyRequested(serverConfig({ escrow: true }), null)).toBe(true);
    expect(newKeyRequested(serverConfig({ rotate: true }), null)).toBe(true);
    expect(newKeyRequested(serverConfig(), null)).toBe(false);
    expect(newKeyRequested(serverConfig({ escrow: true, enabled: false }), null)).toBe(false);
    expect(newKeyRequested(null, null)).toBe(false);
  });

  it('a config from before the server acked our key asks for nothing; the next version may ask again', () => {
    const v1 = serverConfig({ escrow: true });
    expect(newKeyRequested(v1, v1.config_version)).toBe(false);
    expect(newKeyRequested({ ...v1, config_version: 'v2' }, v1.config_version)).toBe(true);
  });
});

describe('EscrowService: the ack rule between the platform and the server config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-service-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('after the ack the same config no longer reads as a rotation request; a new version can be one', async () => {
    const seen: ServerWishes[] = [];
    let asked: ServerWishes | null = null;
    let escrowed = false;
    let service: EscrowService | null = null;
    const status = () =>
      luksStatus(escrowed ? { ourSlot: 1, salt: 's', tokenState: 'escrowed', needsKey: false } : {});
    const platform: PlatformEscrow = {
      platform: 'linux',
      state: async (server) => {
        seen.push(server);
        return linuxState(status(), server);
      },
      cachedState: (server) => linuxState(status(), server),
      createRecoveryKey: async (_passphrase, server) => {
        asked = server;
        escrowed = true;
        service?.onKeyAcknowledged(); // the platform's uploader got the server's 2xx
        return { outcome: 'escrowed', keySlot: 1, escrowedAt: new Date().toISOString() };
      },
      onConfig: async () => {},
      reconcile: async () => {},
      close: async () => {},
    };
    const events: AgentEvent[] = [];
    service = new EscrowService({
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
    await service.start();
    const v1 = serverConfig({ escrow: true });
    service.onConfig(v1);
    await vi.waitFor(() => expect(service?.currentStatus().action).toMatchObject({ reason: 'no_key' }));

    const ctx = {
      peer: { uid: 0, name: 'root' },
      secret: Buffer.from('pw'),
      requestId: 1,
      progress: () => {},
    };
    await service.handlers()['recoveryKey.create']({}, ctx as RequestContext);
    expect(asked).toEqual({ config: v1, newKeyRequested: true });
    await vi.waitFor(() => expect(service?.currentStatus().volumes[0]?.escrow.state).toBe('escrowed'));
    expect(seen.at(-1)).toEqual({ config: v1, newKeyRequested: false });
    expect(service.currentStatus().action).toBeNull();

    service.onConfig({
      ...v1,
      config_version: 'v2',
      notifications: { ...v1.notifications, rotate_disk_encryption_key: true },
    });
    expect(service.currentStatus().action).toMatchObject({
      kind: 'luks_passphrase',
      reason: 'rotation_requested',
    });
    service.stop();
  });
});
