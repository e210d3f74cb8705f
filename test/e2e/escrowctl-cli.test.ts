import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import { tokenFileFor } from '../../node-lib/agent-socket/socket-paths.js';
import { makeLuks2Image, opens, type TestImage } from '../../src-agent/linux/test-support/luks-image.js';
import { eventually, TestServer } from './test-support/agent-harness.js';
import { bundleClis } from './test-support/cli-bundle.js';

// Ends in a space: escrowctl strips exactly one trailing newline and nothing else.
const PASSPHRASE = 'escrowctl pässphrase ';

type Run = { code: number | null; stdout: string; stderr: string };

function runNode(script: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('escrow-agent and escrowctl as processes', () => {
  let root: string;
  let server: TestServer;
  let image: TestImage;
  let clis: { agent: string; ctl: string };
  let agent: ChildProcess;
  let agentOut = '';
  let socketPath: string;
  const ctl = (args: string[], input?: string) => runNode(clis.ctl, ['--socket', socketPath, ...args], input);

  beforeAll(async () => {
    clis = await bundleClis();
    root = await mkdtemp(path.join(os.tmpdir(), 'escrow-cli-'));
    server = await TestServer.create(root);
    await server.enableEncryption();
    image = makeLuks2Image(PASSPHRASE, 0);
    socketPath = path.join(root, 'run', 'agent.sock');
    const secretFile = path.join(root, 'enroll-secret');
    await writeFile(secretFile, server.enrollSecret, { mode: 0o600 });
    await mkdir(path.join(root, 'state'), { mode: 0o700 });
    // biome-ignore format: one flag per line reads best
    agent = spawn(process.execPath, [
      clis.agent, 'run',
      '--server', server.url,
      '--enroll-secret-file', secretFile,
      '--state-dir', path.join(root, 'state'),
      '--socket', socketPath,
      '--luks-device', image.path,
      '--new-slot-pbkdf', 'fast',
      '--log-level', 'debug',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout?.on('data', (d) => (agentOut += d));
    agent.stderr?.on('data', (d) => (agentOut += d));
    await eventually(() => stat(tokenFileFor(socketPath, 0)).catch(() => null), 'the agent socket');
  });

  afterAll(async () => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
    await server.stop();
    image.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('status --json prints a DeviceStatus asking for the passphrase; plain status says it in words', async () => {
    const status = await eventually(async () => {
      const r = await ctl(['status', '--json']);
      expect(r.code).toBe(0);
      const s = DeviceStatus.parse(JSON.parse(r.stdout));
      return s.action ? s : null;
    }, 'the prompt');
    expect(status.action).toMatchObject({ kind: 'luks_passphrase', reason: 'no_key' });
    const human = await ctl(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      'To do:     create a recovery key (escrowctl escrow-luks): the escrow server holds no recovery key for this disk',
    );
    // Plain words only: no wire names, no brackets.
    expect(human.stdout).not.toMatch(/not_required|action_required|no_key|\[|\(luks2\)/);
  });

  it('escrow-luks: wrong passphrase exits 2 with attempts left; the right one (stdin) exits 0; again exits 7', async () => {
    const wrong = await ctl(['escrow-luks'], 'escrowctl pässphrase\n'); // without the trailing space
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Attempts left: 4');
    // Progress stops where the flow stopped: checked, refused; nothing was created or saved.
    expect(wrong.stderr).toContain('Checking the passphrase');
    expect(wrong.stderr).not.toMatch(/Creating|Saving|Verifying|Sending/);

    const ok = await ctl(['escrow-luks'], `${PASSPHRASE}\n`);
    expect(ok.stderr).toContain('Checking the passphrase');
    expect(ok.stderr).toContain('Sending the key to the escrow server');
    expect(ok.stdout).toMatch(/^Escrowed: key slot 1 at /);
    expect(ok.code).toBe(0);
    const hostId = await server.onlyHostId();
    const key = await eventually(() => server.escrowedKey(hostId), 'the key on the server');
    expect(opens(image.path, key, 1)).toBe(true);

    const again = await ctl(['escrow-luks'], PASSPHRASE);
    expect(again.code).toBe(7);
    expect(again.stderr).toBe(
      'escrowctl: Nothing to do: the escrow server already holds a recovery key for this disk.\n',
    );
    const after = await ctl(['status']);
    expect(after.stdout).toMatch(/the recovery key is held by the escrow server \(since .+\); key slot 1/);
    expect(after.stdout).toContain('To do:     nothing');
  });

  it('exit 4 without an agent, 64 on usage errors; escrow-agent exits 2 on a usage error', async () => {
    const none = await runNode(clis.ctl, ['--socket', path.join(root, 'none.sock'), 'status']);
    expect(none.code).toBe(4);
    expect(none.stderr).toBe(
      `escrowctl: the escrow agent is not running (tried ${path.join(root, 'none.sock')}); check it with: systemctl status escrow-agent\n`,
    );
    const bad = await ctl(['frobnicate']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('usage: escrowctl');
    const unknownOption = await ctl(['status', '--jsn']);
    expect(unknownOption.code).toBe(64);
    expect(unknownOption.stderr).toMatch(/^escrowctl: Unknown option '--jsn'.*\n\nusage: escrowctl/s);
    const version = await ctl(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const [command, options] of [
      ['status', ['--json', '--socket PATH']],
      ['escrow-luks', ['--socket PATH']],
    ] as const) {
      const help = await ctl([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: escrowctl \\[--socket PATH\\] ${command}`));
      for (const option of options) expect(help.stdout).toMatch(new RegExp(`^  ${option} +\\S`, 'm'));
    }
    const noServer = await runNode(clis.agent, ['run', '--state-dir', root, '--enroll-secret-file', 'x']);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('--server is required');
    const plainRemote = await runNode(clis.agent, [
      'run',
      '--server',
      'http://escrow.example.com',
      '--state-dir',
      root,
      '--enroll-secret-file',
      'x',
    ]);
    expect(plainRemote.stderr).toContain('must use https');
    const noDevice = await runNode(clis.agent, [
      'run',
      '--server',
      'http://127.0.0.1:9',
      '--state-dir',
      root,
      '--enroll-secret-file',
      'x',
      '--luks-device',
      '/dev/does-not-exist',
    ]);
    expect(noDevice.code).toBe(78);
    expect(noDevice.stderr).toContain('--luks-device /dev/does-not-exist does not exist');
  });

  it('SIGTERM stops the agent cleanly (exit 0, socket removed); its logs hold neither passphrase nor key', async () => {
    const hostId = await server.onlyHostId();
    const key = (await server.escrowedKey(hostId)) as string;
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(stat(socketPath)).rejects.toThrow(/ENOENT/);
    expect(agentOut).toContain('recovery key escrowed');
    expect(agentOut).not.toContain(PASSPHRASE.trim());
    expect(agentOut).not.toContain(key);
  });
});
