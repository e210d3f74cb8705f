import path from 'node:path';

/**
 * Where the agent listens and where each user's peer token lives. The token directory sits next to the
 * socket; each file in it is named by uid and readable only by that user (SECURITY.md, "Who may talk to
 * the agent").
 */
export function defaultSocketPath(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return '\\\\.\\pipe\\escrow-agent';
  if (platform === 'darwin') return '/var/run/escrow-agent/agent.sock';
  return '/run/escrow-agent/agent.sock';
}

export function tokenDirFor(socketPath: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32')
    return path.win32.join(process.env.ProgramData ?? 'C:\\ProgramData', 'EscrowAgent', 'tokens');
  return path.join(path.dirname(socketPath), 'tokens');
}

/** uid on Unix; the user name on Windows (named-pipe peers are identified by the token file's ACL). */
export function tokenFileFor(socketPath: string, user: number | string): string {
  return path.join(tokenDirFor(socketPath), String(user));
}
