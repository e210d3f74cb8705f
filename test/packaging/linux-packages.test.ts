import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentExecutable } from './agent-executable-build.js';

const root = path.resolve(import.meta.dirname, '../..');
const scripts = path.join(root, 'assets/linux');
const tmp = mkdtempSync(path.join(tmpdir(), 'escrow-linux-packages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs one maintainer script as dpkg or rpm would, in a temporary root (DPKG_ROOT) whose systemd is "running"
 * or not; systemctl and dd are stand-ins that record their arguments (the OS edge the test cannot run).
 */
function maintainer(script: string, args: string[], world: { systemd?: boolean; configured?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmp, 'root-'));
  const bin = path.join(dir, '.bin');
  const calls = path.join(dir, '.calls');
  mkdirSync(bin);
  writeFileSync(calls, '');
  for (const cmd of ['systemctl', 'dd'])
    writeFileSync(path.join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> "${calls}"\n`, { mode: 0o755 });
  if (world.systemd !== false) mkdirSync(path.join(dir, 'run/systemd/system'), { recursive: true });
  mkdirSync(path.join(dir, 'var/lib/escrow-agent'), { recursive: true });
  writeFileSync(path.join(dir, 'var/lib/escrow-agent/journal'), 'a key waiting for the server');
  if (world.configured !== false) {
    mkdirSync(path.join(dir, 'etc/escrow-agent'), { recursive: true });
    writeFileSync(
      path.join(dir, 'etc/escrow-agent/agent.conf'),
      'ESCROW_SERVER=https://escrow.example.com\n',
    );
    writeFileSync(path.join(dir, 'etc/escrow-agent/enroll-secret'), 'secret');
  }
  const r = spawnSync('sh', [path.join(scripts, script), ...args], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, DPKG_ROOT: dir },
  });
  const systemctl = readFileSync(calls, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('systemctl '));
  return { status: r.status, stderr: r.stderr, systemctl, dir };
}

describe('escrow-agent maintainer scripts, each case dpkg and rpm call them with', () => {
  const START = ['systemctl daemon-reload', 'systemctl enable --now escrow-agent.service'];
  const RESTART = ['systemctl daemon-reload', 'systemctl try-restart escrow-agent.service'];
  it.each([
    ['deb install', ['configure', ''], START],
    ['deb upgrade', ['configure', '0.0.9'], RESTART],
    ['deb abort-upgrade', ['abort-upgrade', '0.2.0'], RESTART],
    ['rpm install', ['1'], START],
    ['rpm upgrade', ['2'], RESTART],
  ])('postinst, %s', (_case, args, expected) => {
    expect(maintainer('agent-package/postinst.sh', args)).toMatchObject({ status: 0, systemctl: expected });
  });

  it('postinst: not configured yet, systemd only learns the unit; without systemd, nothing', () => {
    const r = maintainer('agent-package/postinst.sh', ['configure', ''], { configured: false });
    expect(r.systemctl).toEqual(['systemctl daemon-reload']);
    expect(existsSync(path.join(r.dir, 'etc/escrow-agent'))).toBe(true);
    expect(maintainer('agent-package/postinst.sh', ['1'], { systemd: false }).systemctl).toEqual([]);
  });

  it.each([
    ['deb remove', ['remove'], ['systemctl disable --now escrow-agent.service']],
    ['rpm erase', ['0'], ['systemctl disable --now escrow-agent.service']],
    ['deb upgrade', ['upgrade', '0.2.0'], []],
    ['deb failed-upgrade', ['failed-upgrade', '0.2.0'], []],
    ['deb deconfigure', ['deconfigure', 'in-favour', 'x', '1'], []],
    ['rpm upgrade', ['1'], []],
  ])('prerm, %s', (_case, args, expected) => {
    expect(maintainer('agent-package/prerm.sh', args)).toMatchObject({ status: 0, systemctl: expected });
  });

  it.each([
    ['deb remove', ['remove'], ['systemctl daemon-reload']],
    ['deb purge', ['purge'], ['systemctl daemon-reload']],
    ['rpm erase', ['0'], ['systemctl daemon-reload']],
    ['deb upgrade', ['upgrade', '0.2.0'], []],
    ['deb abort-install', ['abort-install'], []],
    ['deb disappear', ['disappear', 'other', '1'], []],
    ['rpm upgrade', ['1'], []],
  ])('postrm, %s', (_case, args, expected) => {
    const r = maintainer('agent-package/postrm.sh', args);
    expect(r).toMatchObject({ status: 0, systemctl: expected });
    // Never the state (a journaled key may still be on its way) nor IT's configuration, even on purge.
    expect(readFileSync(path.join(r.dir, 'var/lib/escrow-agent/journal'), 'utf8')).toBe(
      'a key waiting for the server',
    );
    expect(existsSync(path.join(r.dir, 'etc/escrow-agent/enroll-secret'))).toBe(true);
  });
});

/**
 * A stand-in for Electron's unpacked distribution (the binary cannot be downloaded here): a script with
 * Electron's fuse wire (sentinel, version 1, 8 fuses at Electron 45's defaults), so electron-builder's
 * electronFuses step runs for real and the packaged binary shows what it set.
 */
function electronStandIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const wire = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "Electron stand-in"\n'),
    Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'latin1'),
    Buffer.from([1, 8]),
    Buffer.from('10011001', 'latin1'),
    Buffer.from('\n'),
  ]);
  writeFileSync(path.join(dir, 'electron'), wire);
  chmodSync(path.join(dir, 'electron'), 0o755);
  for (const f of ['chrome-sandbox', 'LICENSE', 'LICENSES.chromium.html'])
    writeFileSync(path.join(dir, f), '');
  writeFileSync(path.join(dir, 'version'), '45.4.1');
  return dir;
}

describe('npm run package: the deb and rpm packages, inspected', () => {
  const out = path.join(tmp, 'release');
  const tar = (deb: string) => execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
  /** The paths in a deb, without directories, as "path" or "path -> target". */
  const debFiles = (deb: string) =>
    tar(deb)
      .split('\n')
      .filter((l) => l && !l.startsWith('d'))
      .map((l) => l.replace(/^.*? \.\//, '/'));
  let exe: string;

  beforeAll(() => {
    exe = agentExecutable();
    execFileSync(
      process.execPath,
      [
        path.join(root, 'scripts/package-linux.mjs'),
        '--skip-build',
        '--electron-dist',
        electronStandIn(path.join(tmp, 'electron')),
        '--agent-exe',
        exe,
        '--out',
        out,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }, 600_000);

  it('escrow-agent.deb: the executable, escrowctl, launchers, the unit under /usr/lib/systemd/system, its doc', () => {
    const deb = path.join(out, 'escrow-agent_0.1.0_amd64.deb');
    expect(debFiles(deb).sort()).toEqual([
      '/usr/bin/escrowctl',
      '/usr/lib/escrow-agent/escrow-agent',
      '/usr/lib/escrow-agent/escrowctl -> escrow-agent',
      '/usr/lib/systemd/system/escrow-agent.service',
      '/usr/sbin/escrow-agent',
      '/usr/share/doc/escrow-agent/README.md',
    ]);
    expect(tar(deb)).toMatch(/-rwxr-xr-x root\/root +\d+ .* \.\/usr\/lib\/escrow-agent\/escrow-agent\n/);
    const packed = execFileSync(
      'sh',
      ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./usr/lib/escrow-agent/escrow-agent`, 'sh', deb],
      {
        maxBuffer: 512 * 1024 * 1024,
      },
    );
    expect(packed.equals(readFileSync(exe))).toBe(true);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
    expect(control).toContain('Maintainer: Escrow Desktop contributors <maintainers@escrowdesktop.org>');
    expect(control).toContain('Depends: cryptsetup-bin, util-linux');
    for (const s of ['postinst', 'prerm', 'postrm']) {
      const packedScript = execFileSync('dpkg-deb', ['--info', deb, s], { encoding: 'utf8' });
      expect(packedScript).toBe(readFileSync(path.join(scripts, `agent-package/${s}.sh`), 'utf8'));
    }
    // The unit's Documentation= is a file of the same package.
    const unit = readFileSync(path.join(scripts, 'escrow-agent.service'), 'utf8');
    const doc = /^Documentation=file:\/\/(\S+)$/m.exec(unit)?.[1];
    expect(debFiles(deb)).toContain(doc);
  });

  it('escrow-agent.rpm: the same files, and the same scripts as %post/%preun/%postun', () => {
    const rpm = path.join(out, 'x86_64/escrow-agent-0.1.0-1.x86_64.rpm');
    const files = execFileSync('rpm', ['-qlp', rpm], { encoding: 'utf8' }).trim().split('\n');
    expect(files.sort()).toEqual([
      '/usr/bin/escrowctl',
      '/usr/lib/escrow-agent',
      '/usr/lib/escrow-agent/escrow-agent',
      '/usr/lib/escrow-agent/escrowctl',
      '/usr/lib/systemd/system/escrow-agent.service',
      '/usr/sbin/escrow-agent',
      '/usr/share/doc/escrow-agent',
      '/usr/share/doc/escrow-agent/README.md',
    ]);
    const scriptlets = execFileSync('rpm', ['-qp', '--scripts', rpm], { encoding: 'utf8' });
    for (const [section, file] of [
      ['postinstall', 'postinst'],
      ['preuninstall', 'prerm'],
      ['postuninstall', 'postrm'],
    ]) {
      expect(scriptlets).toContain(
        `${section} scriptlet (using /bin/sh):\n${readFileSync(path.join(scripts, `agent-package/${file}.sh`), 'utf8').trim()}`,
      );
    }
    expect(execFileSync('rpm', ['-qp', '--requires', rpm], { encoding: 'utf8' })).toMatch(/^cryptsetup$/m);
  });

  it('escrow-desktop.deb and .rpm: the app, its menu entry, autostart and icon; it needs escrow-agent', () => {
    const deb = path.join(out, 'escrow-desktop_0.1.0_amd64.deb');
    const files = debFiles(deb).filter((f) => !f.startsWith('/opt/Escrow Desktop/'));
    expect(files.sort()).toEqual([
      '/etc/xdg/autostart/escrow-desktop.desktop',
      '/usr/bin/escrow-desktop -> /opt/Escrow Desktop/escrow-desktop',
      '/usr/share/applications/escrow-desktop.desktop',
      '/usr/share/icons/hicolor/512x512/apps/escrow-desktop.png',
    ]);
    expect(debFiles(deb)).toContain('/opt/Escrow Desktop/resources/app.asar');
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Depends'], { encoding: 'utf8' })).toMatch(
      /^escrow-agent \(= 0\.1\.0\), /,
    );
    const rpm = path.join(out, 'x86_64/escrow-desktop-0.1.0-1.x86_64.rpm');
    expect(execFileSync('rpm', ['-qp', '--requires', rpm], { encoding: 'utf8' })).toMatch(
      /^escrow-agent = 0\.1\.0$/m,
    );
    expect(execFileSync('rpm', ['-qlp', rpm], { encoding: 'utf8' })).toContain(
      '/opt/Escrow Desktop/resources/app.asar',
    );
  });

  it("the app carries only what the desktop runs (no server, no agent), and the binary's fuses are set", () => {
    const unpacked = path.join(out, 'work/electron-builder/linux-unpacked');
    const files = asar.listPackage(path.join(unpacked, 'resources/app.asar'), { isPack: false });
    const modules = new Set(files.filter((f) => f.startsWith('/node_modules/')).map((f) => f.split('/')[2]));
    expect([...modules]).toEqual(['zod']);
    const tops = new Set(files.map((f) => f.split('/').slice(0, 3).join('/')));
    for (const never of [
      '/dist/src-server',
      '/dist/src-agent',
      '/dist/agent',
      '/dist/web-harness',
      '/dist/console',
    ])
      expect(tops.has(never), never).toBe(false);
    expect(tops.has('/dist/src-main')).toBe(true);
    // electronFuses: RunAsNode, NODE_OPTIONS and --inspect off; cookie encryption and asar-only on.
    const binary = readFileSync(path.join(unpacked, 'escrow-desktop'));
    const at = binary.indexOf('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX') + 32;
    const fuses = binary.subarray(at + 2, at + 2 + (binary[at + 1] ?? 0)).toString('latin1');
    expect([fuses[0], fuses[1], fuses[2], fuses[3], fuses[5]]).toEqual(['0', '1', '0', '0', '1']);
  });
});
