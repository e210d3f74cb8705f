#!/usr/bin/env node
// The one test command (README, .ci/run): lint, typecheck, build, then every vitest suite.
// Ends with a plain "N passed, N failed, N skipped" line so any CI reader can count the run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { exitCause, requireNode } from './node-check.mjs';

requireNode('npm test');

/**
 * @param {string} label
 * @param {string} cmd
 * @param {string[]} args
 */
function run(label, cmd, args) {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${label} failed (${exitCause(r.status, r.signal)})\n`);
    process.exit(r.status || 1);
  }
}

run('lint', 'npx', ['biome', 'check', '.']);
run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
run('build', 'npm', ['run', '--silent', 'build']);

mkdirSync('test-results', { recursive: true });
const extra = process.argv.slice(2);
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    '--outputFile.json=test-results/vitest.json',
    ...extra,
  ],
  { stdio: 'inherit' },
);
let summary = 'test run produced no results';
try {
  const r = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`;
  if (r.numTotalTests === 0) summary = '0 passed, 1 failed (no test ran)';
} catch {}
if (vitest.signal) summary += ` (vitest: ${exitCause(vitest.status, vitest.signal)})`;
process.stdout.write(`\n${summary}\n`);
process.exit(vitest.status ?? 1);
