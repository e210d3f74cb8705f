import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretPipesDir } from './luks-escrow.js';
import { sweepSecretPipes } from './secret-fifo.js';
import { makeLuks2Image, opens, type TestImage } from './test-support/luks-image.js';

/**
 * A kill -9 of the agent while cryptsetup runs (outside systemd, which would kill the whole cgroup). Before
 * the fix, 7 of 40 such kills left `cryptsetup luksAddKey` blocked for ever on a named pipe that nobody
 * would write (parent 1, holding the image open), and 23 left /tmp/escrow-fifo-* folders. The first test
 * below is that bug, kept as a control: with the parent-death signal off (`dieWithAgent: false`, what
 * cryptsetup.ts did before) the orphan is still there seconds later; with it on, cryptsetup dies with the
 * agent. Either way the pipes' folder is inside the state directory and the next start sweeps it.
 */

const repo = join(import.meta.dirname, '../..');
const CRYPTSETUP = execFileSync('sh', ['-c', 'command -v cryptsetup'], {
  encoding: 'utf8',
  env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
}).trim();
let childScript: string;
const images: TestImage[] = [];
const leftovers: number[] = [];

beforeAll(async () => {
  childScript = join(repo, 'node_modules/.cache/escrow-linux-tests', `add-key-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'test-support/add-key-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: childScript,
    logLevel: 'warning',
  });
});
afterAll(() => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  for (const img of images) img.cleanup();
  rmSync(childScript, { force: true });
});

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(status(pid));
const status = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts an "agent" (add-key-child.ts) whose cryptsetup waits 1 s before it opens the secret pipes, kills
 * the agent with SIGKILL while it waits, and reports what is left 2.5 s later: the pid that runs (or ran)
 * cryptsetup, whether it still lives, and the folders in the pipe directory.
 */
async function killAgentDuringLuksAddKey(dieWithAgent: boolean) {
  const img = makeLuks2Image('pw', 0);
  images.push(img);
  const pipeDir = secretPipesDir(join(img.dir, 'state'));
  const pidFile = join(img.dir, 'cryptsetup.pid');
  const wrapper = join(img.dir, 'cryptsetup');
  // `exec` keeps the pid: the shell that writes it is the process that becomes cryptsetup.
  writeFileSync(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nsleep 1\nexec '${CRYPTSETUP}' "$@"\n`);
  chmodSync(wrapper, 0o700);
  const agent = spawn(process.execPath, [childScript], {
    env: {
      PATH: process.env.PATH ?? '',
      DEVICE: img.path,
      PIPE_DIR: pipeDir,
      CRYPTSETUP: wrapper,
      DIE_WITH_AGENT: dieWithAgent ? '1' : '0',
    },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  agent.stdin.end('pw');
  const exited = new Promise((r) => agent.once('exit', r));
  for (let i = 0; !existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === ''; i++) {
    if (i > 200) throw new Error('cryptsetup never started');
    await sleep(25);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  leftovers.push(pid);
  agent.kill('SIGKILL');
  await exited;
  await sleep(2500);
  return { img, pipeDir, pid, alive: alive(pid), folders: readdirSync(pipeDir) };
}

describe('cryptsetup and its secret pipes after a kill -9 of the agent', () => {
  it('control (the old behaviour, no parent-death signal): cryptsetup is left blocked on its pipe; the start-up sweep kills it and removes the folder', async () => {
    const left = await killAgentDuringLuksAddKey(false);
    expect(left.alive).toBe(true);
    expect(readFileSync(`/proc/${left.pid}/cmdline`, 'utf8')).toContain('luksAddKey');
    expect(left.folders).toHaveLength(1);
    expect(left.folders[0]).toMatch(/^escrow-fifo-\d+\.\d+-/);

    const swept = await sweepSecretPipes(left.pipeDir);
    expect(swept).toEqual({ removed: left.folders, killed: [left.pid] });
    await sleep(200);
    expect(alive(left.pid)).toBe(false);
    expect(readdirSync(left.pipeDir)).toEqual([]);
    expect(opens(left.img.path, 'pw', 0)).toBe(true);
    expect(opens(left.img.path, 'the new key')).toBe(false);
  });

  it('with setpriv --pdeathsig KILL in front, cryptsetup dies with the agent; the sweep removes the folder', async () => {
    const left = await killAgentDuringLuksAddKey(true);
    expect(left.alive).toBe(false);
    expect(left.folders).toHaveLength(1);
    expect(await sweepSecretPipes(left.pipeDir)).toEqual({ removed: left.folders, killed: [] });
    expect(readdirSync(left.pipeDir)).toEqual([]);
    expect(opens(left.img.path, 'pw', 0)).toBe(true);
  });

  it('the sweep leaves the folders of a live agent run alone', async () => {
    const img = makeLuks2Image('pw', 0);
    images.push(img);
    const pipeDir = secretPipesDir(join(img.dir, 'state'));
    const { SecretFifo } = await import('./secret-fifo.js');
    const mine = await SecretFifo.create(pipeDir, 1);
    expect(await sweepSecretPipes(pipeDir)).toEqual({ removed: [], killed: [] });
    expect(readdirSync(pipeDir)).toHaveLength(1);
    await mine.dispose();
  });
});
