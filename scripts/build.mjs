#!/usr/bin/env node
// One build for all three programs:
//   - plain Node code (ipc, node-lib, src-agent, src-server, src-main, web-harness) → dist/ with tsc
//   - the Electron preload → one CommonJS file with esbuild (sandboxed preloads cannot load other modules)
//   - the React renderer → dist/renderer with vite
//   - the agent and escrowctl → one self-contained CommonJS file, dist/agent/agent.cjs, that is either
//     program by the name it was started as. bin/escrow-agent and bin/escrowctl run it on Node in
//     development; `npm run build:agent-exe` makes it the main script of a Node single executable
//     application, which is how the agent is installed (docs/decisions/0005-agent-executable.md)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { agentBundleStubs, builtinsByRequire } from './agent-bundle-stubs/index.mjs';

/**
 * Runs a command with this process's stdio, and exits with its status if it fails.
 * @param {string} cmd
 * @param {string[]} args
 */
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
// Whitespace and syntax are minified (the agent is a long-running root service: a smaller source string is
// memory it keeps for its whole life); names are kept so stack traces in support logs stay readable.
// The plugins keep Node built-ins and dependency code the agent never uses out of its memory (see there).
// CommonJS, because a Node 22 single executable application runs its main script as CommonJS, with a
// require() that loads built-ins only: everything else must be in this one file.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
await build({
  entryPoints: ['scripts/agent-executable/entry.cjs'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  // src-agent/version.ts reads package.json through import.meta.url only when no version is stamped in.
  define: { ESCROW_BUNDLED_VERSION: JSON.stringify(version), 'import.meta.url': 'undefined' },
  plugins: [agentBundleStubs, builtinsByRequire],
  outfile: 'dist/agent/agent.cjs',
  logLevel: 'warning',
});
for (const bin of ['bin/escrow-server', 'bin/escrow-agent', 'bin/escrowctl']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
