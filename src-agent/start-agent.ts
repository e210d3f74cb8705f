import type { Logger } from '../node-lib/logger.js';
import { ensurePrivateDir } from './durable-file.js';
import { EscrowService } from './escrow-orchestrator.js';
import { resolveUser } from './ipc-server/allowed-users.js';
import { personAtScreen } from './ipc-server/logind-sessions.js';
import { type IpcServer, startIpcServer } from './ipc-server/server.js';
import type { SlotPbkdf } from './linux/cryptsetup.js';
import { createLinuxPlatform, type LinuxPlatformOptions } from './linux/linux-platform.js';
import { secretPipesDir } from './linux/luks-escrow.js';
import { detectRootLuksDevice } from './linux/root-device.js';
import { sweepSecretPipes } from './linux/secret-fifo.js';
import { LogoutDeferralStore } from './logout-deferrals.js';
import type { CommandRunner, CreateFileVaultEscrowOptions } from './macos/index.js';
import type { PlatformEscrow } from './platform-port.js';
import { ReminderStore } from './reminder-store.js';
import { AgentApiClient } from './server-client/agent-api-client.js';
import { ConfigFollower } from './server-client/config-follower.js';
import { linuxHostIdentity, macHostIdentity } from './server-client/host-identity.js';
import { HostIdentityKey } from './server-client/host-identity-key.js';
import { NodeKeyStore } from './server-client/node-key-store.js';
import type { RetryPolicy } from './server-client/retry-delay.js';
import { AGENT_VERSION } from './version.js';
import type { BitLockerShell } from './windows/index.js';

/** The macOS edges; on a Mac the defaults are the real ones. Tests run them against fixtures and temp dirs. */
export interface MacAgentOptions
  extends Partial<
    Pick<
      CreateFileVaultEscrowOptions,
      'prkPath' | 'escrowBuddyBundle' | 'prefsPath' | 'managedPrefsPath' | 'verifyGraceMs' | 'recheckMs'
    >
  > {
  /** fdesetup, security, defaults, log, ioreg: execFile on a Mac, a FixtureRunner in tests. */
  runner?: CommandRunner;
}

/** The Windows edge: PowerShell on Windows, the BitLocker test double in tests. */
export interface WindowsAgentOptions {
  shell?: BitLockerShell;
  /** How often BitLocker is re-read between server answers (default 60 s). */
  recheckMs?: number;
}

export type AgentPlatform = 'linux' | 'darwin' | 'win32';

export interface AgentOptions {
  /** Default: this machine's (process.platform). Tests force 'darwin' with `macos.runner`, 'win32' with `windows.shell`. */
  platform?: AgentPlatform;
  macos?: MacAgentOptions;
  windows?: WindowsAgentOptions;
  serverUrl: string;
  /** PEM certificates trusted for the server besides the public roots (--ca-file). */
  caPem?: string;
  enrollSecretFile: string;
  stateDir: string;
  socketPath: string;
  /** Linux: a LUKS2 device or image file; default: the device behind `/`. */
  luksDevice?: string;
  allowUsers: string[];
  log: Logger;
  newSlotPbkdf?: SlotPbkdf;
  /** KDF of a new passphrase's slot ("Set a new disk passphrase"); default argon2id. Tests pass a fast one. */
  userSlotPbkdf?: SlotPbkdf;
  retry?: RetryPolicy;
  sessionsDir?: string;
  /** macOS: the file whose owner is the user at the screen (default /dev/console). */
  consolePath?: string;
  testCrashAt?: LinuxPlatformOptions['testCrashAt'];
}

export interface RunningAgent {
  ipc: IpcServer;
  service: EscrowService;
  stop(): Promise<void>;
}

/** Composition root: wires the server client, the platform module and the IPC server together. */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const platformName = o.platform ?? thisPlatform();
  // systemd makes it on Linux (StateDirectory=); launchd has no such thing, so the agent does, root-only.
  await ensurePrivateDir(o.stateDir);
  const extraUsers = await Promise.all(o.allowUsers.map(resolveUser));
  // Each platform's modules load only on that platform: a Linux agent never evaluates the macOS code (its
  // plist parser and schemas), which keeps the idle service smaller.
  const macos = platformName === 'darwin' ? await import('./macos/index.js') : null;
  const runner = macos ? (o.macos?.runner ?? macos.createExecFileRunner()) : null;
  const windows = platformName === 'win32' ? await import('./windows/index.js') : null;
  const shell = windows ? (o.windows?.shell ?? windows.createPowerShellRunner()) : null;
  const api = new AgentApiClient({
    serverUrl: o.serverUrl,
    ...(o.caPem ? { caPem: o.caPem } : {}),
    enrollSecretFile: o.enrollSecretFile,
    nodeKeys: new NodeKeyStore(o.stateDir),
    identityKey: new HostIdentityKey(o.stateDir),
    identity: runner
      ? macHostIdentity(runner)
      : windows && shell
        ? windows.windowsHostIdentity(shell)
        : linuxHostIdentity,
    log: o.log.child({ part: 'server-client' }),
  });
  let service: EscrowService | null = null;
  let platform: PlatformEscrow;
  let where: string;
  if (macos && runner) {
    const { runner: _runner, ...macPaths } = o.macos ?? {};
    const fileVault = macos.createFileVaultEscrow({
      ...macPaths,
      runner,
      stateDir: o.stateDir,
      // The watcher retries on any failure; the node key is added by the client.
      uploader: (u) => api.sendFileVaultPrk(u),
      log: o.log.child({ part: 'filevault' }),
    });
    // A new PRK seen or the flag armed is news for the desktop now, not at the next server answer.
    fileVault.onStatusChange(() => service?.onPlatformChange());
    const { createMacPlatform } = await import('./macos/macos-platform.js');
    platform = await createMacPlatform(fileVault);
    where = o.macos?.prkPath ?? 'FileVault';
  } else if (windows && shell) {
    platform = windows.createWindowsPlatform({
      shell,
      stateDir: o.stateDir,
      sendKey: (body) => api.sendDiskEncryptionKey(body),
      log: o.log.child({ part: 'bitlocker' }),
      onKeyAcknowledged: () => service?.onKeyAcknowledged(),
      // An escrow started from a check-in finished in the background: show it now.
      onChange: () => service?.onPlatformChange(),
      ...(o.windows?.recheckMs ? { recheckMs: o.windows.recheckMs } : {}),
    });
    where = 'BitLocker';
  } else {
    // Before anything runs cryptsetup: what a killed earlier run left (its pipes, a cryptsetup orphaned in
    // the instant before its parent-death signal was armed) goes now.
    const swept = await sweepSecretPipes(secretPipesDir(o.stateDir));
    if (swept.removed.length > 0)
      o.log.warn({ folders: swept.removed, killed: swept.killed }, 'removed secret pipes of an earlier run');
    where = o.luksDevice ?? (await rootLuksDevice());
    platform = createLinuxPlatform({
      device: where,
      stateDir: o.stateDir,
      api,
      log: o.log.child({ part: 'luks' }),
      onKeyAcknowledged: () => service?.onKeyAcknowledged(),
      ...(o.newSlotPbkdf ? { newSlotPbkdf: o.newSlotPbkdf } : {}),
      ...(o.userSlotPbkdf ? { userSlotPbkdf: o.userSlotPbkdf } : {}),
      ...(o.testCrashAt ? { testCrashAt: o.testCrashAt } : {}),
    });
  }
  let ipc: IpcServer | null = null;
  const escrow = new EscrowService({
    platform,
    api,
    reminders: new ReminderStore(o.stateDir),
    ...(runner ? { logoutDeferrals: new LogoutDeferralStore(o.stateDir) } : {}),
    agentVersion: AGENT_VERSION,
    log: o.log.child({ part: 'service' }),
    broadcast: (event) => ipc?.broadcast(event),
  });
  service = escrow;
  o.log.info(
    { platform: platformName, device: where, server: o.serverUrl, stateDir: o.stateDir },
    'escrow agent starting',
  );
  await escrow.start();
  ipc = await startIpcServer({
    socketPath: o.socketPath,
    handlers: escrow.handlers(),
    extraUsers,
    agentVersion: AGENT_VERSION,
    platform: platformName,
    log: o.log.child({ part: 'ipc' }),
    ...(o.sessionsDir ? { sessionsDir: o.sessionsDir } : {}),
    ...(o.consolePath ? { consolePath: o.consolePath } : {}),
    onLocalUsers: (users) => escrow.onLoggedInUser(personAtScreen(users)),
  });
  const follower = new ConfigFollower({
    api,
    log: o.log.child({ part: 'server-client' }),
    onConfig: (c) => escrow.onConfig(c),
    onConnection: (s) => escrow.onConnection(s),
    onCheckIn: () => escrow.onCheckIn(),
    ...(o.retry ? { retry: o.retry } : {}),
  });
  follower.start();
  const running = ipc;
  return {
    ipc: running,
    service: escrow,
    async stop() {
      await follower.stop();
      await running.close();
      escrow.stop();
      await platform.close();
      o.log.info('escrow agent stopped');
    },
  };
}

function thisPlatform(): AgentPlatform {
  const p = process.platform;
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  throw new Error(`escrow-agent run supports Linux, macOS and Windows, not ${p}`);
}

async function rootLuksDevice(): Promise<string> {
  const found = await detectRootLuksDevice();
  if (found.device) return found.device;
  const where = found.luks.length > 0 ? ` (${found.luks.map((l) => l.path).join(', ')} is not LUKS2)` : '';
  throw new Error(`no LUKS2 device under / (${found.rootSource})${where}; use --luks-device to name one`);
}
