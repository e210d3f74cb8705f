import type { ListenOptions } from 'node:net';
import type { PeerTokens, TokenHolder } from './peer-tokens.js';

/**
 * The agent's IPC endpoint on Windows is a named pipe (`\\.\pipe\escrow-agent`), not a socket file
 * (decision 0022). Nothing is made or removed on a file system for it, and libuv is asked to open its
 * DACL to every local user (`readableAll`/`writableAll`): by default a pipe made by LocalSystem is
 * read-only for standard users, and the desktop app could not send a request.
 */
export function isNamedPipePath(p: string): boolean {
  return /^\\\\[.?]\\pipe\\/i.test(p);
}

export function pipeListenOptions(p: string): ListenOptions {
  return { path: p, readableAll: true, writableAll: true };
}

/**
 * Windows has no per-user token files yet (decision 0022): every peer is anonymous, which may read the
 * status and receive events — all that BitLocker needs, since nothing is typed on Windows. Writing the
 * Unix token files there would be unsafe (they would inherit `ProgramData`'s ACL, readable by all users),
 * so this store writes none and proves no one.
 */
export const NO_PEER_TOKENS: Pick<PeerTokens, 'reset' | 'sync' | 'identify' | 'holders' | 'dispose'> = {
  async reset() {},
  async sync() {},
  identify: () => null,
  holders: (): TokenHolder[] => [],
  dispose() {},
};
