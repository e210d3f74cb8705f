import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../node-lib/agent-socket/client.js';
import { tokenFileFor } from '../../node-lib/agent-socket/socket-paths.js';
import { headerJson } from '../../src-agent/linux/test-support/harness.js';
import { makeLuks2Image, opens } from '../../src-agent/linux/test-support/luks-image.js';
import { eventually, TestServer } from './test-support/agent-harness.js';
import { bundleClis } from './test-support/cli-bundle.js';

const PASSPHRASE = 'crash test passphrase';

/**
 * The whole agent process is killed with SIGKILL in the middle of an escrow (the LUKS core's test-only
 * crash point, reached through the CLI's hidden --test-crash-at), then started again without it: startup
 * reconciliation must bring the key to the server, and the user's passphrase must still open the disk.
 */
describe('escrow-agent killed mid-escrow and restarted', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  for (const point of ['slot_added', 'verified'] as const) {
    it(`SIGKILL at ${point}: after a restart the server holds a key that opens the image`, async () => {
      const clis = await bundleClis();
      const root = await mkdtemp(path.join(os.tmpdir(), 'escrow-crash-'));
      const server = await TestServer.create(root);
      const image = makeLuks2Image(PASSPHRASE, 2);
      cleanups.push(async () => {
        await server.stop();
        image.cleanup();
        await rm(root, { recursive: true, force: true });
      });
      await server.enableEncryption();
      const secretFile = path.join(root, 'enroll-secret');
      await writeFile(secretFile, server.enrollSecret, { mode: 0o600 });
      await mkdir(path.join(root, 'state'), { mode: 0o700 });
      const socketPath = path.join(root, 'run', 'agent.sock');
      const start = (extra: string[]): ChildProcess => {
        // biome-ignore format: one flag per line reads best
        const child = spawn(process.execPath, [
          clis.agent, 'run',
          '--server', server.url,
          '--enroll-secret-file', secretFile,
          '--state-dir', path.join(root, 'state'),
          '--socket', socketPath,
          '--luks-device', image.path,
          '--new-slot-pbkdf', 'fast',
          ...extra,
        ], { stdio: 'ignore' });
        cleanups.push(async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        });
        return child;
      };
      const connect = async () => {
        await eventually(() => stat(tokenFileFor(socketPath, 0)).catch(() => null), 'the agent socket');
        return eventually(
          () =>
            AgentClient.connect({ socketPath, clientName: 'escrowctl', clientVersion: 'test' }).catch(
              () => null,
            ),
          'a connection',
        );
      };

      const doomed = start(['--test-crash-at', point]);
      const died = new Promise<NodeJS.Signals | null>((r) => doomed.once('exit', (_c, sig) => r(sig)));
      const client = await connect();
      await eventually(async () => (await client.request('status.get', {})).action, 'the prompt');
      const err = await client.request('recoveryKey.create', {}, Buffer.from(PASSPHRASE)).catch((e) => e);
      expect(err.code).toBe('connection_closed');
      expect(await died).toBe('SIGKILL');

      start([]);
      const after = await connect();
      const hostId = await server.onlyHostId();
      const key = await eventually(() => server.escrowedKey(hostId), 'the reconciled key on the server');
      const status = await eventually(async () => {
        const s = await after.request('status.get', {});
        return s.volumes[0]?.escrow.state === 'escrowed' ? s : null;
      }, 'status escrowed after the restart');
      const slot = status.volumes[0]?.escrow.keySlot as number;
      expect(opens(image.path, key, slot)).toBe(true);
      expect(opens(image.path, PASSPHRASE, 2)).toBe(true);
      expect(Object.keys(headerJson(image.path).keyslots).sort()).toEqual(['2', String(slot)].sort());
      expect(status.action).toBeNull();
      after.close();
    });
  }
});
