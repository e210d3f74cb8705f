#!/usr/bin/env node
// One build for all three programs:
//   - plain Node code (ipc, node-lib, src-agent, src-server, src-main, web-harness) → dist/ with tsc
//   - the Electron preload → one CommonJS file with esbuild (sandboxed preloads cannot load other modules)
//   - the React renderer → dist/renderer with vite
//   - the agent and escrowctl → one self-contained file each in dist/agent, which the packaged app ships
//     and runs with its own Electron binary as Node (docs/decisions/0004-agent-runtime.md)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { agentBundleStubs, builtinsByRequire } from './agent-bundle-stubs/index.mjs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

rmSync('dist', { recursive: true, force: true });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);

if (existsSync('src-main/preload/preload.ts')) {
  run('npx', [
    'esbuild',
    'src-main/preload/preload.ts',
    '--bundle',
    '--platform=node',
    '--format=cjs',
    '--external:electron',
    '--outfile=dist/src-main/preload.cjs',
    '--log-level=warning',
  ]);
}
if (existsSync('src-renderer/vite.config.ts')) {
  run('npx', ['vite', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn']);
  run('npx', ['vite', 'build', '--config', 'src-console/vite.config.ts', '--logLevel', 'warn']);
  run('npx', ['vite', 'build', '--config', 'web-harness/vite.config.ts', '--logLevel', 'warn']);
}
// pino and other CommonJS dependencies call require(); an ES module bundle needs one defined.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const requireShim =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
// Whitespace and syntax are minified (the agent is a long-running root service: a smaller source string is
// memory it keeps for its whole life); names are kept so stack traces in support logs stay readable.
// The plugins keep Node built-ins and dependency code the agent never uses out of its memory (see there).
for (const cli of ['escrow-agent', 'escrowctl']) {
  await build({
    entryPoints: [`dist/src-agent/cli/${cli}.js`],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    banner: { js: requireShim },
    define: { ESCROW_BUNDLED_VERSION: JSON.stringify(version) },
    plugins: [agentBundleStubs, builtinsByRequire],
    outfile: `dist/agent/${cli}.mjs`,
    logLevel: 'warning',
  });
}
for (const bin of ['bin/escrow-server', 'bin/escrow-agent', 'bin/escrowctl']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
