import { describe, expect, it } from 'vitest';
import type { LinkCodeResponse } from '../ipc/agent-server/orbit-api.js';
import { AgentError } from '../ipc/desktop-agent/errors.js';
import { splitResetSecret, startLink } from './key-reset-and-link.js';
import { ServerUnavailableError } from './platform-port.js';
import type { AgentApiClient } from './server-client/agent-api-client.js';
import { ServerRejectedError } from './server-client/errors.js';

const code = (link_path: string): LinkCodeResponse => ({
  code: 'c0de',
  link_path,
  expires_at: '2026-12-08T01:10:00.000Z',
  expires_in_seconds: 600,
});
const api = (answer: () => Promise<LinkCodeResponse>) =>
  ({ serverUrl: 'https://escrow.example.com:8443/', linkCode: answer }) as unknown as AgentApiClient;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AgentError) return e.code;
    throw e;
  }
  return 'resolved';
}

describe('splitResetSecret', () => {
  it('splits at the first NUL into copies', () => {
    const frame = Buffer.from('key\0new pass\0word');
    const [k, p] = splitResetSecret(frame);
    frame.fill(0);
    expect(k.toString()).toBe('key');
    expect(p.toString()).toBe('new pass\0word'); // refused later as a passphrase with a NUL
  });
  it('refuses a frame without the separator, and no frame', () => {
    expect(() => splitResetSecret(Buffer.from('only one'))).toThrow(AgentError);
    expect(() => splitResetSecret(null)).toThrow(AgentError);
  });
});

describe('startLink', () => {
  it('answers the link page on the agent’s own server', async () => {
    const r = await startLink(api(async () => code('/link?code=c0de')));
    expect(r).toEqual({
      url: 'https://escrow.example.com:8443/link?code=c0de',
      expiresAt: '2026-12-08T01:10:00.000Z',
    });
  });
  it('never opens a page on another site', async () => {
    expect(await codeOf(startLink(api(async () => code('https://evil.example/link'))))).toBe('internal');
    expect(await codeOf(startLink(api(async () => code('//evil.example/link'))))).toBe('internal');
  });
  it('says why linking is not possible: no single sign-on (404), already linked (409), no server', async () => {
    const fail = (e: Error) => api(async () => Promise.reject(e));
    expect(await codeOf(startLink(fail(new ServerRejectedError(404, 'no sso'))))).toBe('link_unavailable');
    expect(await codeOf(startLink(fail(new ServerRejectedError(409, 'linked'))))).toBe('link_unavailable');
    expect(await codeOf(startLink(fail(new ServerUnavailableError('down', 'no_answer'))))).toBe(
      'server_unreachable',
    );
  });
});
