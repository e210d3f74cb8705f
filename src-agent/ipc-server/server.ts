import { chmod, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { AgentEvent, Welcome } from '../../ipc/desktop-agent/messages.js';
import { tokenDirFor } from '../../node-lib/agent-socket/socket-paths.js';
import type { Logger } from '../../node-lib/logger.js';
import { type AdmissionLimits, admitConnection, admitHello, DEFAULT_ADMISSION_LIMITS } from './admission.js';
import { allowedUsers } from './allowed-users.js';
import { Connection, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection.js';
import { CONSOLE_PATH, readConsoleUser, watchConsoleUser } from './console-user.js';
import type { MethodHandlers, PeerIdentity } from './handlers.js';
import {
  LOGIND_SESSIONS_DIR,
  type LocalSessionUser,
  readLocalSessionUsers,
  watchSessions,
} from './logind-sessions.js';
import { PeerTokens, type TokenHolder } from './peer-tokens.js';
import { isNamedPipePath, NO_PEER_TOKENS, pipeListenOptions } from './windows-pipe.js';

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
  /** How many connections, per kind of peer (admission.ts). */
  admission?: Partial<AdmissionLimits>;
  limits?: Partial<ConnectionLimits>;
  /** Who is logged in locally, at start and after every change (the service reports the person at the screen). */
  onLocalUsers?: (users: LocalSessionUser[]) => void;
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
  const admission = { ...DEFAULT_ADMISSION_LIMITS, ...opts.admission };
  // The local users who may ask for escrow: logind's sessions on Linux, the console's owner on macOS.
  const consolePath = opts.consolePath ?? CONSOLE_PATH;
  const sessionsDir = opts.sessionsDir ?? LOGIND_SESSIONS_DIR;
  const readLocalUsers = async () => {
    const users = await (opts.platform === 'darwin'
      ? readConsoleUser(consolePath)
      : readLocalSessionUsers(sessionsDir));
    opts.onLocalUsers?.(users);
    return users;
  };
  const watchLocalUsers = (onChange: () => void) =>
    opts.platform === 'darwin'
      ? watchConsoleUser(onChange, consolePath)
      : watchSessions(sessionsDir, onChange);
  const pipe = isNamedPipePath(opts.socketPath);
  if (!pipe) {
    const dir = path.dirname(opts.socketPath);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await rm(opts.socketPath, { force: true }); // a socket file left by a killed agent blocks listen()
  }

  const tokens = pipe ? NO_PEER_TOKENS : new PeerTokens(tokenDirFor(opts.socketPath));
  let allowed = new Set<number>();
  // Root and the people logged in at this computer: their places are kept free of other users' connections.
  let privileged = new Set<number>([0]);
  const refreshPeers = async () => {
    const local = await readLocalUsers();
    const holders = allowedUsers(local, opts.extraUsers);
    await tokens.sync(holders);
    allowed = new Set(holders.map((h) => h.uid));
    privileged = new Set([0, ...local.map((u) => u.uid)]);
    log.debug({ users: holders.map((h) => h.name) }, 'IPC peers allowed to escrow');
  };
  const local = await readLocalUsers();
  await tokens.reset(allowedUsers(local, opts.extraUsers));
  allowed = new Set(tokens.holders().map((h) => h.uid));
  privileged = new Set([0, ...local.map((u) => u.uid)]);
  const sessionWatch = watchLocalUsers(() => {
    refreshPeers().catch((err) => log.error({ err }, 'could not refresh the users allowed to escrow'));
  });

  const connections = new Set<Connection>();
  const deps = {
    handlers: opts.handlers,
    identify: (token: string | undefined) => tokens.identify(token),
    mayEscrow: (peer: PeerIdentity) => peer.uid !== null && allowed.has(peer.uid),
    admitHello: (c: Connection, uid: number | null) => {
      const d = admitHello([...connections], c, uid, (u) => privileged.has(u), admission);
      return d.admit ? null : d.reason;
    },
    agentVersion: opts.agentVersion,
    platform: opts.platform,
    log,
    limits,
  };
  const server = net.createServer((socket) => {
    // Full: the oldest connection that has not proven a token (no hello yet, or anonymous) makes room, so a
    // local user opening connections in a loop cannot lock the real users out (admission.ts).
    const d = admitConnection([...connections], admission);
    if (!d.admit) {
      const c = new Connection(socket, deps, () => {});
      c.send({ type: 'error', error: { code: 'busy', message: d.reason } });
      c.close();
      return;
    }
    if (d.evict) {
      d.evict.send({ type: 'error', error: { code: 'busy', message: 'the agent needed this connection' } });
      d.evict.close();
      connections.delete(d.evict);
    }
    connections.add(new Connection(socket, deps, (c) => connections.delete(c)));
  });
  server.on('error', (err) => log.error({ err }, 'IPC socket error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(pipe ? pipeListenOptions(opts.socketPath) : { path: opts.socketPath }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!pipe) await chmod(opts.socketPath, 0o666);
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
      if (!pipe) await rm(opts.socketPath, { force: true });
      tokens.dispose();
    },
  };
}
