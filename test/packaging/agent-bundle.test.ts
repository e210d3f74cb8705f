import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
// @ts-expect-error: a build script in plain JavaScript, without type declarations
import { agentBundleStubs, builtinsByRequire } from '../../scripts/agent-bundle-stubs/index.mjs';
// @ts-expect-error: a build script in plain JavaScript, without type declarations
import { V8_FLAGS } from '../../scripts/build-agent-executable.mjs';

/**
 * What keeps the idle agent small (issue 5) must not change what it does: the modules left out of the
 * bundle really stay out, and logging, zod's English messages and the built-ins still work in the script
 * `npm run build` made, dist/agent/agent.cjs, which is the agent executable's main script
 * (test/packaging/agent-executable.test.ts runs the executable and reads its V8 flags back).
 */
const root = path.resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'escrow-agent-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MALLOC_TUNABLE = 'GLIBC_TUNABLES=glibc.malloc.arena_max=2';

/**
 * Bundles `source` as the agent's script is built (same plugins, CommonJS), runs it with node and returns
 * its output and the files that went into the bundle.
 */
async function runAsAgentBundle(source: string): Promise<{ stdout: string; inputs: string[] }> {
  const outfile = path.join(tmp, `snippet-${Math.random().toString(36).slice(2)}.cjs`);
  const { metafile } = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    plugins: [agentBundleStubs, builtinsByRequire],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  const r = spawnSync(process.execPath, [outfile], { encoding: 'utf8', cwd: tmp });
  expect(r.stderr).toBe('');
  return { stdout: r.stdout, inputs: Object.keys(metafile.inputs) };
}

describe('the Linux launcher', () => {
  it('limits glibc malloc arenas for the agent only, keeping tunables already set', () => {
    const launcher = path.join(root, 'assets/linux/escrow-agent-launcher.sh');
    const bin = path.join(tmp, 'launcher-bin');
    const agentDir = path.join(tmp, 'agent-dir');
    mkdirSync(bin, { recursive: true });
    mkdirSync(agentDir, { recursive: true, mode: 0o755 });
    // The "executable" prints the tunables it was started with.
    for (const name of ['escrow-agent', 'escrowctl']) {
      writeFileSync(path.join(agentDir, name), '#!/bin/sh\necho "$GLIBC_TUNABLES"\n', { mode: 0o755 });
      symlinkSync(launcher, path.join(bin, name));
    }
    const run = (name: string, tunables?: string) => {
      const r = spawnSync(path.join(bin, name), [], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          ESCROW_AGENT_DIR: agentDir,
          ...(tunables ? { GLIBC_TUNABLES: tunables } : {}),
        },
      });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(`GLIBC_TUNABLES=${run('escrow-agent')}`).toBe(MALLOC_TUNABLE);
    expect(run('escrow-agent', 'glibc.malloc.tcache_count=0')).toBe(
      'glibc.malloc.tcache_count=0:glibc.malloc.arena_max=2',
    );
    expect(run('escrowctl')).toBe('');
    expect(readFileSync(path.join(root, 'bin/escrow-agent'), 'utf8')).toContain(MALLOC_TUNABLE);
  });
});

describe('the built agent script', () => {
  it('runs, logs through pino and stops cleanly, without worker_threads, assert, WebCrypto or undici loaded', async () => {
    // Named escrow-agent, as the executable is (it picks its program by that name); no package.json
    // around it, so Node runs it as CommonJS, as the executable does.
    const script = path.join(tmp, 'escrow-agent');
    copyFileSync(path.join(root, 'dist/agent/agent.cjs'), script);
    const socket = path.join(tmp, 'run', 'agent.sock');
    // A file that is no LUKS volume: the agent reports the disk and idles (a path naming nothing is a
    // configuration error it exits on, 78).
    writeFileSync(path.join(tmp, 'no-disk.img'), '');
    const dumpModules = `process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify(process.moduleLoadList)))`;
    // biome-ignore format: one flag per line reads best
    const agent = spawn(process.execPath, [
      ...V8_FLAGS,
      '--import', `data:text/javascript,${encodeURIComponent(dumpModules)}`,
      script, 'run',
      '--server', 'http://127.0.0.1:9',
      '--enroll-secret-file', path.join(tmp, 'no-enroll-secret'),
      '--state-dir', path.join(tmp, 'state'),
      '--socket', socket,
      '--luks-device', path.join(tmp, 'no-disk.img'),
    ], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    agent.stdout.on('data', (d) => (stdout += d));
    agent.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 15_000;
    // Its signal handlers are in place once it has tried the server (after its socket listens).
    while (!stdout.includes('"part":"server-client"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    agent.kill('SIGTERM');
    const code = await new Promise((r) => agent.once('exit', r));
    expect(code).toBe(0);

    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; name: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'escrow agent starting',
        'listening for desktop apps and escrowctl',
        'stopping',
      ]),
    );
    expect(lines.every((l) => l.name === 'escrow-agent')).toBe(true);

    const modules = JSON.parse(stderr.slice(stderr.indexOf('MODULES ') + 8)) as string[];
    expect(modules).toContain('NativeModule child_process'); // the list is real
    expect(modules).toContain('NativeModule http'); // loaded, but not through its ES namespace, which pulls undici
    const absentModules = [
      'worker_threads',
      'assert',
      'internal/util/diff',
      'internal/crypto/webcrypto',
      'internal/deps/undici/undici',
    ];
    for (const absent of absentModules) {
      expect(modules).not.toContain(`NativeModule ${absent}`);
    }
  });
});

describe('the agent bundle plugins', () => {
  it('keep zod in English with the same messages, and only English in z.locales', async () => {
    const input = { a: 1, b: 'nope', c: 'z' };
    const schema = z.object({ a: z.number().min(3), b: z.email(), c: z.enum(['x', 'y']) });
    const direct = schema.safeParse(input).error?.issues.map((i) => i.message);
    const { stdout: bundled } = await runAsAgentBundle(`
      import { z } from 'zod';
      const schema = z.object({ a: z.number().min(3), b: z.email(), c: z.enum(['x', 'y']) });
      const r = schema.safeParse(${JSON.stringify(input)});
      console.log(JSON.stringify({ messages: r.error.issues.map((i) => i.message), locales: Object.keys(z.locales) }));
    `);
    expect(direct).toHaveLength(3);
    expect(JSON.parse(bundled)).toEqual({ messages: direct, locales: ['en'] });
  });

  it('leave pino logging working, without thread-stream or the real assert and worker_threads', async () => {
    const { stdout, inputs } = await runAsAgentBundle(`
      import { pino } from 'pino';
      pino({ base: null, timestamp: false }).info({ n: 1 }, 'hello');
      pino({ base: null, timestamp: false }, pino.destination({ sync: false })).warn('async');
    `);
    expect(stdout.trim().split('\n')).toEqual([
      JSON.stringify({ level: 30, n: 1, msg: 'hello' }),
      JSON.stringify({ level: 40, msg: 'async' }), // flushed at exit: pino saw the main thread
    ]);
    expect(inputs.some((file) => file.includes('node_modules/thread-stream/'))).toBe(false);
    expect(inputs.filter((file) => file.includes('agent-bundle-stubs')).sort()).toEqual([
      'scripts/agent-bundle-stubs/assert.cjs',
      'scripts/agent-bundle-stubs/thread-stream.cjs',
      'scripts/agent-bundle-stubs/worker-threads.cjs',
    ]);
  });

  it('read built-ins lazily, with named, default and namespace imports still working', async () => {
    const { stdout } = await runAsAgentBundle(`
      import os from 'node:os';
      import * as path from 'node:path';
      import { parseArgs, promisify } from 'node:util';
      const before = process.moduleLoadList.includes('NativeModule internal/util/parse_args/parse_args');
      const { values } = parseArgs({ args: ['--x', '1'], options: { x: { type: 'string' } } });
      console.log(JSON.stringify([before, values.x, typeof promisify, os.tmpdir() === ${JSON.stringify(os.tmpdir())}, path.join('a', 'b')]));
    `);
    expect(JSON.parse(stdout)).toEqual([false, '1', 'function', true, path.join('a', 'b')]);
  });
});
