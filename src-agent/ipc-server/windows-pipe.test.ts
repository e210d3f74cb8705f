import { describe, expect, it } from 'vitest';
import { defaultSocketPath } from '../../node-lib/agent-socket/socket-paths.js';
import { isNamedPipePath, NO_PEER_TOKENS, pipeListenOptions } from './windows-pipe.js';

describe('the Windows named pipe', () => {
  it('recognises the default Windows endpoint and no Unix socket path', () => {
    expect(isNamedPipePath(defaultSocketPath('win32'))).toBe(true);
    expect(isNamedPipePath('\\\\?\\pipe\\escrow-agent')).toBe(true);
    expect(isNamedPipePath(defaultSocketPath('linux'))).toBe(false);
    expect(isNamedPipePath(defaultSocketPath('darwin'))).toBe(false);
    expect(isNamedPipePath('C:\\ProgramData\\pipe\\x')).toBe(false);
  });

  it('opens the pipe to every local user so a standard user can write requests', () => {
    expect(pipeListenOptions('\\\\.\\pipe\\escrow-agent')).toEqual({
      path: '\\\\.\\pipe\\escrow-agent',
      readableAll: true,
      writableAll: true,
    });
  });

  it('proves no peer: every Windows client is anonymous (status and events only)', async () => {
    await NO_PEER_TOKENS.reset([{ uid: 0, name: 'root' }]);
    expect(NO_PEER_TOKENS.identify('0'.repeat(64))).toBeNull();
    expect(NO_PEER_TOKENS.holders()).toEqual([]);
  });
});
