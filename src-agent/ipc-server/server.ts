import { chmod, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { AgentEvent, Welcome } from '../../ipc/desktop-agent/messages.js';
import { tokenDirFor } from '../../node-lib/agent-socket/socket-paths.js';
import type { Logger } from '../../node-lib/logger.js';
import { allowedUsers } from './allowed-users.js';
import { Connection, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection.js';
import { CONSOLE_PATH, readConsoleUser, watchConsoleUser } from './console-user.js';
import type { MethodHandlers, PeerIdentity } from './handlers.js';
import { LOGIND_SESSIONS_DIR, readLocalSessionUsers, watchSessions } from './logind-sessions.js';
import { PeerTokens, type TokenHolder } from './peer-tokens.js';

export interface IpcServerOptions {
  socketPath: string;
  handlers: MethodHandlers;
  /** Accounts from --allow-user, already resolved to uids. */
  extraUsers: TokenHolder[];
  agentVersion: string;
  platform: Welcome['platform'];
  log: Logger;
  /** Linux: where logind keeps its session records (tests point it at a temp dir). */
  sessionsDir?: string;
  /** macOS: the file whose owner is the user at the screen (tests point it at a temp file). */
  consolePath?: string;
  maxConnections?: number;
  /** Of those, how many may be anonymous (no valid token); the rest stay free for real users. */
  maxAnonymous?: number;
  limits?: Partial<ConnectionLimits>;
}

export interface IpcServer {
  broadcast(event: AgentEvent): void;
  /** Re-reads logind sessions now (also done on every change of the sessions directory). */
  refreshPeers(): Promise<void>;
  connectionCount(): number;
  close(): Promise<void>;
}

/**
 * The agent's Unix socket. Anyone may connect (socket 0666) so that a user without rights gets a clear
 * `not_permitted` instead of EACCES; what a peer may do is decided by its token (peer-tokens.ts).
 */
export async function startIpcServer(opts: IpcServerOptions): Promise<IpcServer> {
  const log = opts.log;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.limits };
  const maxConnections = opts.maxConnections ?? 64;
  const maxAnonymous = opts.maxAnonymous ?? 16;
  // The local users who may ask for escrow: logind's sessions on Linux, the console's owner on macOS.
  const consolePath = opts.consolePath ?? CONSOLE_PATH;
  const sessionsDir = opts.sessionsDir ?? LOGIND_SESSIONS_DIR;
  const readLocalUsers = () =>
    opts.platform === 'darwin' ? readConsoleUser(consolePath) : readLocalSessionUsers(sessionsDir);
  const watchLocalUsers = (onChange: () => void) =>
    opts.platform === 'darwin'
      ? watchConsoleUser(onChange, consolePath)
      : watchSessions(sessionsDir, onChange);
  const dir = path.dirname(opts.socketPath);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  await rm(opts.socketPath, { force: true }); // a socket file left by a killed agent blocks listen()

  const tokens = new PeerTokens(tokenDirFor(opts.socketPath));
  let allowed = new Set<number>();
  const refreshPeers = async () => {
    const holders = allowedUsers(await readLocalUsers(), opts.extraUsers);
    await tokens.sync(holders);
    allowed = new Set(holders.map((h) => h.uid));
    log.debug({ users: holders.map((h) => h.name) }, 'IPC peers allowed to escrow');
  };
  await tokens.reset(allowedUsers(await readLocalUsers(), opts.extraUsers));
  allowed = new Set(tokens.holders().map((h) => h.uid));
  const sessionWatch = watchLocalUsers(() => {
    refreshPeers().catch((err) => log.error({ err }, 'could not refresh the users allowed to escrow'));
  });

  const connections = new Set<Connection>();
  const deps = {
    handlers: opts.handlers,
    identify: (token: string | undefined) => tokens.identify(token),
    mayEscrow: (peer: PeerIdentity) => peer.uid !== null && allowed.has(peer.uid),
    admitAnonymous: () =>
      [...connections].filter((c) => c.ready && c.peer?.uid === null).length < maxAnonymous,
    agentVersion: opts.agentVersion,
    platform: opts.platform,
    log,
    limits,
  };
  const server = net.createServer((socket) => {
    if (connections.size >= maxConnections) {
      // Full: make room by closing the oldest connection that has not proven a token (no hello yet, or
      // anonymous), so a local user opening connections in a loop cannot lock the real users out. Only when
      // every connection belongs to a token holder is the newcomer refused.
      const untrusted = [...connections].find((c) => !c.ready || c.peer?.uid === null);
      if (untrusted) {
        untrusted.send({
          type: 'error',
          error: { code: 'busy', message: 'the agent needed this connection' },
        });
        untrusted.close();
        connections.delete(untrusted);
      } else {
        const c = new Connection(socket, deps, () => {});
        c.send({ type: 'error', error: { code: 'busy', message: 'the agent has too many connections' } });
        c.close();
        return;
      }
    }
    connections.add(new Connection(socket, deps, (c) => connections.delete(c)));
  });
  server.on('error', (err) => log.error({ err }, 'IPC socket error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(opts.socketPath, 0o666);
  log.info({ socket: opts.socketPath }, 'listening for desktop apps and escrowctl');

  return {
    broadcast(event) {
      for (const c of connections) c.sendEvent(event);
    },
    refreshPeers,
    connectionCount: () => connections.size,
    async close() {
      sessionWatch.close();
      for (const c of connections) c.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(opts.socketPath, { force: true });
      tokens.dispose();
    },
  };
}
