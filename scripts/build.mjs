#!/usr/bin/env node
// One build for all three programs:
//   - plain Node code (ipc, src-shared, src-agent, src-server, src-main) → dist/ with tsc
//   - the Electron preload → one CommonJS file with esbuild (sandboxed preloads cannot load other modules)
//   - the React renderer → dist/renderer with vite
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';

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
}
for (const bin of ['bin/escrow-server', 'bin/escrow-agent', 'bin/escrowctl']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
