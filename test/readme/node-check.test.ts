import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCause, nodeVersionProblem } from '../../scripts/node-check.mjs';

const root = path.resolve(import.meta.dirname, '../..');
// A Node older than package.json's engines, as a new terminal on Debian 12 or Ubuntu has.
const SYSTEM_NODE = '/usr/bin/node';
const systemNodeVersion = existsSync(SYSTEM_NODE)
  ? spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
  : '';
const systemNodeTooOld = systemNodeVersion !== '' && nodeVersionProblem('x', systemNodeVersion) !== null;

describe('the Node version check every command makes first', () => {
  it('refuses Node 20 and 22.11 with one line that says what to run; accepts 22.12 and later', () => {
    const line = nodeVersionProblem('escrow-server', '20.19.2', '/usr/bin/node');
    expect(line).toBe(
      'escrow-server: needs Node ≥ 22.12.0, but this is Node 20.19.2 (/usr/bin/node); run `source .ci/node.sh` in this shell (it installs Node 22 into .tools/), then try again.',
    );
    expect(nodeVersionProblem('x', '22.11.0')).not.toBeNull();
    expect(nodeVersionProblem('x', '22.12.0')).toBeNull();
    expect(nodeVersionProblem('x', '24.0.1')).toBeNull();
  });

  it("a child's signal death is told with its cause, an exit with its status", () => {
    expect(exitCause(null, 'SIGSEGV')).toBe(
      'it crashed (segmentation fault: often a native module built for another Node); signal 11',
    );
    expect(exitCause(null, 'SIGKILL')).toMatch(/^it was killed .*signal 9$/);
    expect(exitCause(null, 'SIGUSR2')).toBe('it was ended by SIGUSR2; signal 12');
    expect(exitCause(3, null)).toBe('exit 3');
  });

  it.skipIf(!systemNodeTooOld)(
    `bin/escrow-server init on the system Node (${systemNodeVersion || 'none'}) says so and makes nothing`,
    () => {
      const parent = mkdtempSync(path.join(tmpdir(), 'escrow-node-check-'));
      try {
        const dataDir = path.join(parent, 'data');
        for (const [bin, args] of [
          ['bin/escrow-server', ['init', '--data-dir', dataDir]],
          ['bin/escrowctl', ['status']],
          ['scripts/test.mjs', []],
        ] as const) {
          const r = spawnSync(SYSTEM_NODE, [path.join(root, bin), ...args], { encoding: 'utf8', cwd: root });
          expect(r.status, bin).toBe(1);
          expect(r.stderr.trim().split('\n'), bin).toHaveLength(1);
          expect(r.stderr).toContain(
            `Node ${systemNodeVersion} (${SYSTEM_NODE}); run \`source .ci/node.sh\``,
          );
        }
        expect(existsSync(dataDir)).toBe(false);
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    },
  );
});
