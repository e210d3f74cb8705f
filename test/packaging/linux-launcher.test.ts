import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { agentExecutable } from './agent-executable-build.js';

/**
 * The installed layout (docs/decisions/0005): the agent executable in /usr/lib/escrow-agent/ with escrowctl
 * a link to it, and the launcher as /usr/sbin/escrow-agent and /usr/bin/escrowctl. Here in a temporary
 * root: the agent directory is given to the launcher with ESCROW_AGENT_DIR. The tests run as root, so what
 * they create is root's; "someone else's" is chowned to nobody (65534).
 */
const root = path.resolve(import.meta.dirname, '../..');
const linuxAssets = path.join(root, 'assets/linux');
const launcher = path.join(linuxAssets, 'escrow-agent-launcher.sh');
const NOBODY = 65534;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'escrow-install-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A temp root with the launcher under both names and an agent directory. */
function install(name: string) {
  const dir = path.join(tmp, name);
  const agentDir = path.join(dir, 'usr/lib/escrow-agent');
  const bin = path.join(dir, 'bin');
  mkdirSync(agentDir, { recursive: true });
  chmodSync(agentDir, 0o755);
  mkdirSync(bin);
  for (const program of ['escrow-agent', 'escrowctl']) {
    writeFileSync(path.join(bin, program), readFileSync(launcher), { mode: 0o755 });
  }
  const launch = (program: string, args: string[] = []) =>
    spawnSync('sh', [path.join(bin, program), ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ESCROW_AGENT_DIR: agentDir },
      cwd: os.tmpdir(), // far from node_modules: the executable must be self-contained
    });
  return { dir, agentDir, launch };
}

describe('Linux install layout', () => {
  it('the launcher named escrow-agent runs the agent executable', () => {
    const { agentDir, launch } = install('real');
    symlinkSync(agentExecutable(), path.join(agentDir, 'escrow-agent'));
    symlinkSync('escrow-agent', path.join(agentDir, 'escrowctl'));
    const r = launch('escrow-agent', ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(pkg.version);
    const ctl = launch('escrowctl', ['--socket', path.join(agentDir, 'no-agent.sock'), 'status']);
    expect(ctl.status).toBe(4);
    expect(ctl.stderr).toContain('the escrow agent is not running');
  });

  it('the package scripts are valid shell', () => {
    for (const script of [
      'agent-package/postinst.sh',
      'agent-package/prerm.sh',
      'agent-package/postrm.sh',
      'desktop-package/postinst.sh',
      'escrow-agent-launcher.sh',
    ]) {
      const r = spawnSync('sh', ['-n', path.join(linuxAssets, script)], { encoding: 'utf8' });
      expect({ script, status: r.status, stderr: r.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
  });
});

describe('the launcher refuses what is not root’s alone', () => {
  let t: ReturnType<typeof install>;
  let ran: string;
  beforeEach((ctx) => {
    t = install(ctx.task.id);
    ran = path.join(t.dir, 'ran');
    // A stand-in executable that leaves a mark when it runs.
    writeFileSync(path.join(t.agentDir, 'escrow-agent'), `#!/bin/sh\necho "$0" > "${ran}"\n`, {
      mode: 0o755,
    });
    symlinkSync('escrow-agent', path.join(t.agentDir, 'escrowctl'));
  });

  function expectRefused(r: ReturnType<typeof t.launch>, culprit: string, state: string) {
    expect(r.status).toBe(78);
    expect(r.stdout).toBe('');
    // One line that names the program, what is wrong with which file, and what it must be.
    expect(r.stderr.split('\n')).toEqual([expect.any(String), '']);
    expect(r.stderr).toContain(`refusing to run ${path.join(t.agentDir, 'escrow')}`);
    expect(r.stderr).toContain(`${culprit} ${state}`);
    expect(r.stderr).toContain('it must be owned by root and writable by no one else');
    expect(existsSync(ran)).toBe(false);
  }

  it('runs the program when it and its directory are root’s, 0755', () => {
    expect(t.launch('escrow-agent').status).toBe(0);
    expect(readFileSync(ran, 'utf8').trim()).toBe(path.join(t.agentDir, 'escrow-agent'));
    expect(t.launch('escrowctl').status).toBe(0);
    expect(readFileSync(ran, 'utf8').trim()).toBe(path.join(t.agentDir, 'escrowctl'));
  });

  it('an executable owned by another account', () => {
    const exe = path.join(t.agentDir, 'escrow-agent');
    chownSync(exe, NOBODY, 0);
    expectRefused(t.launch('escrow-agent'), exe, `is -rwxr-xr-x owned by uid ${NOBODY}`);
    // Through the escrowctl link too: the link is followed.
    expectRefused(
      t.launch('escrowctl'),
      path.join(t.agentDir, 'escrowctl'),
      `is -rwxr-xr-x owned by uid ${NOBODY}`,
    );
  });

  it('a group- or other-writable executable', () => {
    const exe = path.join(t.agentDir, 'escrow-agent');
    chmodSync(exe, 0o775);
    expectRefused(t.launch('escrow-agent'), exe, 'is -rwxrwxr-x owned by uid 0');
    chmodSync(exe, 0o757);
    expectRefused(t.launch('escrow-agent'), exe, 'is -rwxr-xrwx owned by uid 0');
  });

  it('a directory that another account owns or may write to', () => {
    chownSync(t.agentDir, NOBODY, 0);
    expectRefused(t.launch('escrow-agent'), t.agentDir, `is drwxr-xr-x owned by uid ${NOBODY}`);
    chownSync(t.agentDir, 0, 0);
    chmodSync(t.agentDir, 0o775);
    expectRefused(t.launch('escrow-agent'), t.agentDir, 'is drwxrwxr-x owned by uid 0');
  });

  it('a missing executable', () => {
    rmSync(path.join(t.agentDir, 'escrow-agent'));
    expectRefused(t.launch('escrow-agent'), path.join(t.agentDir, 'escrow-agent'), 'does not exist');
  });

  it('the systemd unit does not restart it after the refusal', () => {
    const unit = readFileSync(path.join(linuxAssets, 'escrow-agent.service'), 'utf8');
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
  });
});
