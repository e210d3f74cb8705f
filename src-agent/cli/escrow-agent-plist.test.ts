import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type PlistValue, parse } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClis } from '../../test/e2e/test-support/cli-bundle.js';

const PLIST = new URL('../../assets/macos/com.escrowdesktop.agent.plist', import.meta.url);

function programArguments(): string[] {
  const p = parse(readFileSync(PLIST, 'utf8')) as { [key: string]: PlistValue };
  return p.ProgramArguments as string[];
}

function runAgent(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the LaunchDaemon runs the real CLI', () => {
  let dir: string;
  let agentScript: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-plist-'));
    agentScript = (await bundleClis()).agent;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names `run` with the three required options and absolute root-owned paths', () => {
    const [program, command, ...rest] = programArguments();
    expect(program).toBe('/Library/Application Support/EscrowDesktop/escrow-agent');
    expect(command).toBe('run');
    const options = new Map<string, string>();
    for (let i = 0; i < rest.length; i += 2) options.set(rest[i] as string, rest[i + 1] as string);
    expect([...options.keys()].sort()).toEqual([
      '--enroll-secret-file',
      '--server',
      '--socket',
      '--state-dir',
    ]);
    expect(options.get('--server')).toMatch(/^https:\/\//);
    for (const key of ['--enroll-secret-file', '--state-dir', '--socket']) {
      expect(options.get(key)).toMatch(/^\/(Library|var)\//);
    }
  });

  it('gets past argument parsing: the CLI starts the agent (which then fails only for want of a server)', async () => {
    // The same argv with the machine paths moved into a temp dir; a loopback server nobody listens on.
    const secret = path.join(dir, 'enroll-secret');
    await writeFile(secret, 'x\n', { mode: 0o600 });
    const local: Record<string, string> = {
      '--server': 'http://127.0.0.1:9',
      '--enroll-secret-file': secret,
      '--state-dir': path.join(dir, 'state'),
      '--socket': path.join(dir, 'run', 'agent.sock'),
    };
    const args = programArguments()
      .slice(1)
      .map((a, i, all) => local[all[i - 1] as string] ?? a);
    const r = await runAgent(agentScript, args);
    expect(r.output).not.toMatch(/usage:/);
    expect(r.code).not.toBe(2); // 2 is the CLI's usage-error exit
    expect(r.output).toMatch(/escrow agent (starting|could not start)/);
  });
});
