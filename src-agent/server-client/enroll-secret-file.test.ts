import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../node-lib/logger.js';
import { AgentApiClient } from './agent-api-client.js';
import { ConfigFollower } from './config-follower.js';
import { readEnrollSecret } from './enroll-secret-file.js';
import { HostIdentityKey } from './host-identity-key.js';
import { NodeKeyStore } from './node-key-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'escrow-enroll-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string, mode: number) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
};

describe('the enroll secret file: each problem is one sentence that says how to fix it', () => {
  it('reads a 0600 file, without its trailing newline', async () => {
    expect(await readEnrollSecret(file('good', 'abc123\n', 0o600))).toBe('abc123');
  });

  it.each([
    ['missing', () => path.join(dir, 'nope'), /nope does not exist: deploy it .*mode 0600\)$/],
    [
      'a directory',
      () => {
        mkdirSync(path.join(dir, 'd'), { recursive: true });
        return path.join(dir, 'd');
      },
      /d is a directory, not a file$/,
    ],
    [
      'world-readable',
      () => file('open', 'abc', 0o644),
      /open is readable by every account \(mode 0644\); run chmod 600 .*open$/,
    ],
    ['empty', () => file('empty', '\n', 0o600), /empty is empty$/],
  ])('%s', async (_case, make, message) => {
    await expect(readEnrollSecret(make())).rejects.toThrow(message);
  });

  it('the agent logs a missing file once as an error, and keeps backing off (no line per retry)', async () => {
    const lines: { level: number; msg: string }[] = [];
    const log = createLogger('test', {
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
          done();
        },
      }),
    });
    const states: (string | undefined)[] = [];
    const state = mkdtempSync(path.join(dir, 'state-'));
    const follower = new ConfigFollower({
      api: new AgentApiClient({
        serverUrl: 'https://127.0.0.1:9',
        enrollSecretFile: path.join(dir, 'not-deployed'),
        nodeKeys: new NodeKeyStore(state),
        identityKey: new HostIdentityKey(state),
        identity: async () => {
          throw new Error('not reached: the secret is read first');
        },
        log,
      }),
      log,
      onConfig: () => {},
      onConnection: (s) => states.push(s.message),
      retry: { baseMs: 20, maxMs: 40 },
    });
    follower.start();
    await new Promise((r) => setTimeout(r, 500));
    await follower.stop();
    expect(states.length).toBeGreaterThan(3); // it did retry, several times
    const errors = lines.filter((l) => l.msg.includes('not-deployed'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.level).toBe(50);
    // escrowctl status and the desktop show the same sentence.
    expect(states.at(-1)).toMatch(/not-deployed does not exist: deploy it/);
  });
});
