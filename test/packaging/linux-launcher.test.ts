import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

/**
 * The installed layout: /opt/Escrow Desktop/{escrow-desktop, resources/agent/*.mjs} and the launcher under
 * the program's name. Here Node itself stands in for the Electron binary (ELECTRON_RUN_AS_NODE makes
 * Electron behave as Node), so the bundles built by `npm run build` run exactly as they would installed.
 */
const root = path.resolve(import.meta.dirname, '../..');
const linuxAssets = path.join(root, 'assets/linux');
let appDir: string;
let binDir: string;

beforeAll(() => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'escrow-install-'));
  appDir = path.join(tmp, 'Escrow Desktop');
  binDir = path.join(tmp, 'bin');
  mkdirSync(path.join(appDir, 'resources/agent'), { recursive: true });
  mkdirSync(binDir);
  symlinkSync(process.execPath, path.join(appDir, 'escrow-desktop'));
  for (const program of ['escrow-agent', 'escrowctl']) {
    copyFileSync(
      path.join(root, `dist/agent/${program}.mjs`),
      path.join(appDir, `resources/agent/${program}.mjs`),
    );
    copyFileSync(path.join(linuxAssets, 'escrow-agent-launcher.sh'), path.join(binDir, program));
  }
});
afterAll(() => rmSync(path.dirname(appDir), { recursive: true, force: true }));

function launch(program: string, args: string[]) {
  return spawnSync('sh', [path.join(binDir, program), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ESCROW_APP_DIR: appDir },
    cwd: os.tmpdir(), // far from node_modules: the bundles must be self-contained
  });
}

describe('Linux install layout', () => {
  it('the build produced self-contained agent and escrowctl bundles', () => {
    expect(existsSync(path.join(root, 'dist/agent/escrow-agent.mjs'))).toBe(true);
    expect(existsSync(path.join(root, 'dist/agent/escrowctl.mjs'))).toBe(true);
  });

  it('the launcher named escrow-agent runs the bundled agent', () => {
    const r = launch('escrow-agent', ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toContain(pkg.version);
  });

  it('the launcher named escrowctl runs the bundled escrowctl, with its documented exit code', () => {
    const r = launch('escrowctl', ['--socket', path.join(appDir, 'no-agent.sock'), 'status']);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('the escrow agent is not running');
  });

  it('the package scripts are valid shell', () => {
    for (const script of ['after-install.sh', 'after-remove.sh', 'escrow-agent-launcher.sh']) {
      const r = spawnSync('sh', ['-n', path.join(linuxAssets, script)], { encoding: 'utf8' });
      expect({ script, status: r.status, stderr: r.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
  });
});
