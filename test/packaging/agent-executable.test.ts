import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
// @ts-expect-error: a build script in plain JavaScript, without type declarations
import * as exeBuild from '../../scripts/build-agent-executable.mjs';
import { agentExecutable, buildLikeAgentExecutable } from './agent-executable-build.js';

const { EXEC_ARGV, V8_FLAGS, seaConfig, pinnedNode, hostTarget } = exeBuild as {
  EXEC_ARGV: string[];
  V8_FLAGS: string[];
  seaConfig: (main: string, output: string) => object;
  pinnedNode: (target: string) => string;
  hostTarget: string;
};

/**
 * The agent executable (docs/decisions/0005): Node's own runtime with dist/agent/agent.cjs in it, the agent
 * or escrowctl by the name it is started as, with the agent's V8 flags in effect and nothing from the
 * environment able to add Node options to it.
 */
const root = path.resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'escrow-agent-exe-'));
let exe: string;
beforeAll(() => {
  exe = agentExecutable();
  symlinkSync(exe, path.join(tmp, 'escrowctl'));
  symlinkSync(exe, path.join(tmp, 'escrow-agent'));
  symlinkSync(exe, path.join(tmp, 'something-else'));
  // A file that is no LUKS volume: the agent reports the disk and idles (a path naming nothing is a
  // configuration error it exits on, 78).
  writeFileSync(path.join(tmp, 'no-disk.img'), '');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (program: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(path.join(tmp, program), args, {
    encoding: 'utf8',
    cwd: os.tmpdir(), // far from node_modules: everything must be inside the executable
    env: { PATH: process.env.PATH, ...env },
  });

describe('the agent executable', () => {
  it('is the agent by that name, escrowctl by its name, and neither by another', () => {
    const agent = run('escrow-agent', ['--version']);
    expect(agent.stderr).toBe('');
    expect(agent.stdout.trim()).toBe(pkg.version);
    const ctl = run('escrowctl', ['--socket', path.join(tmp, 'none.sock'), 'status']);
    expect(ctl.status).toBe(4);
    expect(ctl.stderr).toContain('the escrow agent is not running');
    const other = run('something-else', []);
    expect(other.status).toBe(64);
    expect(other.stderr).toBe('something-else: start me as escrow-agent or escrowctl\n');
  });

  it('ignores NODE_OPTIONS, which makes plain Node fail', () => {
    const env = { NODE_OPTIONS: `--require=${path.join(tmp, 'no-such-preload.js')}` };
    const plain = spawnSync(process.execPath, ['-e', ''], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain('no-such-preload.js');
    const r = run('escrow-agent', ['--version'], env);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('carries the SEA configuration the build writes: dist/agent/agent.cjs with the agent flags', () => {
    // The blob is a pure function of the configuration and the script (no snapshot, no code cache), so the
    // one written here must be inside the executable byte for byte.
    const dir = mkdtempSync(path.join(tmp, 'blob-'));
    const config = path.join(dir, 'sea-config.json');
    writeFileSync(
      config,
      JSON.stringify(seaConfig(path.join(root, 'dist/agent/agent.cjs'), path.join(dir, 'blob'))),
    );
    execFileSync(pinnedNode(hostTarget), ['--experimental-sea-config', config], {
      cwd: dir,
      stdio: 'ignore',
    });
    const blob = readFileSync(path.join(dir, 'blob'));
    expect(blob.includes(Buffer.from('--bytecode-old-age=1'))).toBe(true);
    expect(readFileSync(exe).includes(blob)).toBe(true);
  });

  it('runs the agent, which logs, stops cleanly on SIGTERM, and opens no debugger on SIGUSR1', async () => {
    const start = () => {
      // biome-ignore format: one flag per line reads best
      const agent = spawn(path.join(tmp, 'escrow-agent'), [
        'run',
        '--server', 'http://127.0.0.1:9',
        '--enroll-secret-file', path.join(tmp, 'no-enroll-secret'),
        '--state-dir', path.join(tmp, 'state'),
        '--socket', path.join(tmp, 'run', 'agent.sock'),
        '--luks-device', path.join(tmp, 'no-disk.img'),
      ], { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { stdout: '', stderr: '' };
      agent.stdout.on('data', (d) => (out.stdout += d));
      agent.stderr.on('data', (d) => (out.stderr += d));
      const exited = new Promise<[number | null, string | null]>((r) =>
        agent.once('exit', (code, signal) => r([code, signal])),
      );
      // Its signal handlers are in place once it has tried the server (after its socket listens).
      const listening = async () => {
        const deadline = Date.now() + 15_000;
        while (!out.stdout.includes('"part":"server-client"') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(out.stdout).toContain('listening for desktop apps');
        expect(out.stdout).toContain('"part":"server-client"');
      };
      return { agent, out, exited, listening };
    };

    const a = start();
    await a.listening();
    a.agent.kill('SIGTERM');
    expect(await a.exited).toEqual([0, null]);
    const msgs = a.out.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['escrow agent starting', 'stopping']));

    // --disable-sigusr1: Node would otherwise open its inspector (on 127.0.0.1:9229), which any local
    // account could use to run code as root. The agent ignores the signal and goes on.
    const b = start();
    await b.listening();
    b.agent.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.agent.exitCode).toBe(null);
    b.agent.kill('SIGTERM');
    expect(await b.exited).toEqual([0, null]);
    expect(b.out.stderr).toBe('');
    // Plain Node, told to use any free port, does open it.
    const node = spawn(process.execPath, ['--inspect-port=0', '-e', 'setTimeout(() => {}, 10_000)'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let nodeStderr = '';
    node.stderr.on('data', (d) => (nodeStderr += d));
    await new Promise((r) => setTimeout(r, 300));
    node.kill('SIGUSR1');
    const deadline = Date.now() + 10_000;
    while (!nodeStderr.includes('Debugger listening') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    node.kill('SIGKILL');
    expect(nodeStderr).toContain('Debugger listening on ws://127.0.0.1:');
  });
});

/**
 * The flags' effects, read back from inside an executable built exactly like the agent's (same Node, same
 * SEA configuration, another main script): the probe below. Each observable is also taken on plain Node
 * without the flags, where it must come out the other way, so it can tell.
 */
const PROBE = `
const v8 = require('node:v8');
const fs = require('node:fs');
const { PerformanceObserver } = require('node:perf_hooks');
const code = () => v8.getHeapCodeStatistics();

// No compiler but the interpreter: a hot function leaves no machine code on the heap.
const codeBefore = code().code_and_metadata_size;
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s; }
let sum = 0;
for (let i = 0; i < 20000; i++) sum += hot(200);
const jitCode = code().code_and_metadata_size - codeBefore;

// Bytecode of functions that ran once and are still referenced is dropped after ordinary full GCs.
const src = Array.from({ length: 300 }, (_, i) => 'function f' + i + '(a) { return a.map((x) => x * ' + i + ').filter(Boolean).length; }').join('\\n')
  + '\\nreturn [' + Array.from({ length: 300 }, (_, i) => 'f' + i).join(',') + '];';
const bytecodeBefore = code().bytecode_and_metadata_size;
globalThis.kept = new Function(src)();
for (const f of globalThis.kept) f([1, 2, 3]);
const bytecodeAdded = code().bytecode_and_metadata_size - bytecodeBefore;
let majorGcs = 0;
new PerformanceObserver((l) => { majorGcs += l.getEntries().filter((e) => e.detail.kind === 4).length; }).observe({ entryTypes: ['gc'] });
function churn() { const keep = []; for (let i = 0; i < 400000; i++) keep.push({ i, s: 'y' + i }); return keep.length; }

// The bytecode is measured once two full GCs have been reported (the default old age is 6 GCs).
let bytecodeAfterGcs = null;
(function step(k) {
  sum += churn();
  if (bytecodeAfterGcs === null && majorGcs >= 2) bytecodeAfterGcs = code().bytecode_and_metadata_size - bytecodeBefore;
  if (k > 0 || bytecodeAfterGcs === null) return setImmediate(() => step(k - 1));
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  // V8's worker threads: every thread but the main one, libuv's and Node's delayed-task scheduler.
  const workerWakeups = fs.readdirSync('/proc/self/task').filter((t) => Number(t) !== process.pid).map((t) => {
    const s = fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8');
    const name = /^Name:\\s+(.*)$/m.exec(s)[1];
    // Voluntary switches only: each is the thread going back to sleep after a wake-up. Preemptions
    // (nonvoluntary) also hit a thread that never woke, while it first starts on a busy machine.
    const n = Number(/\\nvoluntary_ctxt_switches:\\s+(\\d+)/.exec(s)[1]);
    return { name, n };
  }).filter((t) => !/^(libuv|DelayedTask)/.test(t.name)).map((t) => t.n);
  console.log(JSON.stringify({ execArgv: process.execArgv, jitCode, newSpace, bytecodeAdded, bytecodeAfterGcs, majorGcs, workerWakeups, sum: sum > 0 }));
})(8);
`;

interface ProbeResult {
  execArgv: string[];
  jitCode: number;
  newSpace: number;
  bytecodeAdded: number;
  bytecodeAfterGcs: number;
  majorGcs: number;
  workerWakeups: number[];
}

describe.runIf(process.platform === 'linux')(
  'the agent flags, read back from an executable built like it',
  () => {
    let probed: ProbeResult;
    let plain: ProbeResult;
    beforeAll(() => {
      const main = path.join(tmp, 'probe.cjs');
      writeFileSync(main, PROBE);
      const probeExe = path.join(tmp, 'probe');
      buildLikeAgentExecutable(main, probeExe);
      probed = JSON.parse(execFileSync(probeExe, { encoding: 'utf8', cwd: tmp }));
      plain = JSON.parse(execFileSync(process.execPath, [main], { encoding: 'utf8', cwd: tmp }));
    });

    it('starts with the agent flags and --disable-sigusr1 as its Node options', () => {
      expect(probed.execArgv).toEqual(EXEC_ARGV);
      expect(EXEC_ARGV).toEqual([...V8_FLAGS, '--disable-sigusr1']);
    });

    it('--no-turbofan --no-maglev --no-sparkplug: a hot function gets no machine code', () => {
      expect(plain.jitCode).toBeGreaterThan(0);
      expect(probed.jitCode).toBe(0);
    });

    it('--max-semi-space-size=1: the young generation stays at 2 MB (two 1 MB semi-spaces)', () => {
      expect(plain.newSpace).toBeGreaterThan(4 * 1024 * 1024);
      expect(probed.newSpace).toBeLessThanOrEqual(2 * 1024 * 1024);
    });

    it('--bytecode-old-age=1: bytecode that ran once is flushed by the next full GC, not the sixth', () => {
      for (const r of [probed, plain]) {
        expect(r.bytecodeAdded).toBeGreaterThan(50_000);
        expect(r.majorGcs).toBeGreaterThanOrEqual(2);
      }
      expect(plain.bytecodeAfterGcs).toBeGreaterThan(plain.bytecodeAdded / 2);
      expect(probed.bytecodeAfterGcs).toBeLessThan(0); // the probe's and start-up's bytecode are gone
    });

    it('--single-threaded-gc: V8’s worker threads never wake while the heap churns', () => {
      expect(plain.workerWakeups.length).toBeGreaterThan(0);
      expect(Math.max(...plain.workerWakeups)).toBeGreaterThan(2);
      expect(probed.workerWakeups.length).toBeGreaterThan(0);
      expect(Math.max(...probed.workerWakeups)).toBeLessThanOrEqual(2);
    });
  },
);

describe('the executable’s V8 flags and bin/escrow-agent', () => {
  it('are the same in development (the shebang) as in the executable', () => {
    const shebang = readFileSync(path.join(root, 'bin/escrow-agent'), 'utf8').split('\n')[0];
    expect(shebang).toBe(
      `#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.arena_max=2 node ${V8_FLAGS.join(' ')}`,
    );
  });
});
