import type { Logger } from '../src-shared/logger.js';
import { EscrowService } from './escrow-service.js';
import { resolveUser } from './ipc-server/allowed-users.js';
import { type IpcServer, startIpcServer } from './ipc-server/server.js';
import { detectRootLuksDevice, type SlotPbkdf } from './linux/index.js';
import { createLinuxPlatform, type LinuxPlatformOptions } from './platform-linux.js';
import { ReminderStore } from './reminder-store.js';
import { AgentApiClient } from './server-client/agent-api-client.js';
import type { BackoffPolicy } from './server-client/backoff.js';
import { ConfigFollower } from './server-client/config-follower.js';
import { linuxHostIdentity } from './server-client/host-identity.js';
import { NodeKeyStore } from './server-client/node-key-store.js';
import { AGENT_VERSION } from './version.js';

export interface AgentOptions {
  serverUrl: string;
  enrollSecretFile: string;
  stateDir: string;
  socketPath: string;
  /** A LUKS2 device or image file; default: the device behind `/`. */
  luksDevice?: string;
  allowUsers: string[];
  log: Logger;
  newSlotPbkdf?: SlotPbkdf;
  backoff?: BackoffPolicy;
  sessionsDir?: string;
  testCrashAt?: LinuxPlatformOptions['testCrashAt'];
}

export interface RunningAgent {
  ipc: IpcServer;
  service: EscrowService;
  stop(): Promise<void>;
}

/** Composition root: wires the server client, the platform module and the IPC server together. */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  if (process.platform !== 'linux')
    throw new Error(`escrow-agent run supports Linux here, not ${process.platform}`);
  const extraUsers = await Promise.all(o.allowUsers.map(resolveUser));
  const device = o.luksDevice ?? (await rootLuksDevice());
  const api = new AgentApiClient({
    serverUrl: o.serverUrl,
    enrollSecretFile: o.enrollSecretFile,
    nodeKeys: new NodeKeyStore(o.stateDir),
    identity: linuxHostIdentity,
    log: o.log.child({ part: 'server-client' }),
  });
  const platform = createLinuxPlatform({
    device,
    stateDir: o.stateDir,
    api,
    log: o.log.child({ part: 'luks' }),
    ...(o.newSlotPbkdf ? { newSlotPbkdf: o.newSlotPbkdf } : {}),
    ...(o.testCrashAt ? { testCrashAt: o.testCrashAt } : {}),
  });
  let ipc: IpcServer | null = null;
  const service = new EscrowService({
    platform,
    api,
    reminders: new ReminderStore(o.stateDir),
    agentVersion: AGENT_VERSION,
    log: o.log.child({ part: 'service' }),
    broadcast: (event) => ipc?.broadcast(event),
  });
  o.log.info({ device, server: o.serverUrl, stateDir: o.stateDir }, 'escrow agent starting');
  await service.start();
  ipc = await startIpcServer({
    socketPath: o.socketPath,
    handlers: service.handlers(),
    extraUsers,
    agentVersion: AGENT_VERSION,
    platform: 'linux',
    log: o.log.child({ part: 'ipc' }),
    ...(o.sessionsDir ? { sessionsDir: o.sessionsDir } : {}),
  });
  const follower = new ConfigFollower({
    api,
    log: o.log.child({ part: 'server-client' }),
    onConfig: (c) => service.onConfig(c),
    onConnection: (s) => service.onConnection(s),
    onCheckIn: () => service.onCheckIn(),
    ...(o.backoff ? { backoff: o.backoff } : {}),
  });
  follower.start();
  const running = ipc;
  return {
    ipc: running,
    service,
    async stop() {
      await follower.stop();
      await running.close();
      service.stop();
      await platform.close();
      o.log.info('escrow agent stopped');
    },
  };
}

async function rootLuksDevice(): Promise<string> {
  const found = await detectRootLuksDevice();
  if (found.device) return found.device;
  const where = found.luks.length > 0 ? ` (${found.luks.map((l) => l.path).join(', ')} is not LUKS2)` : '';
  throw new Error(`no LUKS2 device under / (${found.rootSource})${where}; use --luks-device to name one`);
}
