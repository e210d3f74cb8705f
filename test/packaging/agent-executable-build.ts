import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/build-agent-executable.mjs');

/**
 * This machine's agent executable as `npm run build:agent-exe` makes it (built here when it is missing or
 * its inputs changed; test files running at once wait for one build). `npm run build` must have run.
 */
export function agentExecutable(): string {
  execFileSync(process.execPath, [script, '--if-stale'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const win = process.platform === 'win32';
  return path.join(
    root,
    'dist/agent-exe',
    `${win ? 'win' : process.platform}-${process.arch}`,
    win ? 'escrow-agent.exe' : 'escrow-agent',
  );
}

/** Builds `main` into an executable at `out` exactly as the agent's (same Node, same SEA configuration). */
export function buildLikeAgentExecutable(main: string, out: string): void {
  execFileSync(process.execPath, [script, '--main', main, '--out', out], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
