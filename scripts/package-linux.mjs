#!/usr/bin/env node
// `npm run package`: the two Linux packages, deb and rpm, built here without downloading anything:
//   escrow-agent    the agent executable (with escrowctl), its launchers and its systemd unit;
//   escrow-desktop  the tray app (Electron, from electron-builder's `--linux dir`), its menu entry and
//                   autostart; it depends on escrow-agent.
// electron-builder's own deb/rpm targets need fpm, which it downloads; dpkg-deb and rpmbuild build the same
// packages from a staged tree instead (docs/decisions/0050-linux-packages.md). Output: release/.
//
// Options:
//   --electron-dist DIR  an unpacked Electron to package (electron-builder's electronDist); default: the
//                        one the electron npm package downloaded. Tests pass a stand-in.
//   --agent-exe FILE     the agent executable; default: dist/agent-exe/linux-x64/escrow-agent
//   --out DIR            default release/
//   --skip-build         use dist/ as it is (no npm run build, no build:agent-exe)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exitCause, requireNode } from './node-check.mjs';

requireNode('npm run package');
const root = path.resolve(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: {
    'electron-dist': { type: 'string' },
    'agent-exe': { type: 'string' },
    out: { type: 'string' },
    'skip-build': { type: 'boolean' },
  },
});
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = String(pkg.version);
const maintainer = `${pkg.author.name} <${pkg.author.email}>`;
const out = path.resolve(o.out ?? path.join(root, 'release'));
const work = path.join(out, 'work');
const APP_DIR = '/opt/Escrow Desktop';
const linux = (/** @type {string} */ f) => path.join(root, 'assets/linux', f);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').ExecFileSyncOptions} [opts]
 */
function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (err) {
    const e = /** @type {{ status: number | null, signal: NodeJS.Signals | null, stderr?: Buffer }} */ (err);
    process.stderr.write(`package: ${cmd} ${args.join(' ')} failed (${exitCause(e.status, e.signal)})\n`);
    process.stderr.write(e.stderr?.toString() ?? '');
    process.exit(1);
  }
}

/**
 * @param {string} from
 * @param {string} to
 * @param {number} mode
 */
function put(from, to, mode) {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

if (!o['skip-build']) {
  run('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  run('npm', ['run', '--silent', 'build:agent-exe', '--', '--target', 'linux-x64'], { stdio: 'inherit' });
}
rmSync(work, { recursive: true, force: true });

// ---- the trees, as they are installed ----
const agentTree = path.join(work, 'escrow-agent/root');
const agentExe = o['agent-exe'] ?? path.join(root, 'dist/agent-exe/linux-x64/escrow-agent');
put(agentExe, path.join(agentTree, 'usr/lib/escrow-agent/escrow-agent'), 0o755);
symlinkSync('escrow-agent', path.join(agentTree, 'usr/lib/escrow-agent/escrowctl'));
put(linux('escrow-agent-launcher.sh'), path.join(agentTree, 'usr/sbin/escrow-agent'), 0o755);
put(linux('escrow-agent-launcher.sh'), path.join(agentTree, 'usr/bin/escrowctl'), 0o755);
put(
  linux('escrow-agent.service'),
  path.join(agentTree, 'usr/lib/systemd/system/escrow-agent.service'),
  0o644,
);
put(linux('agent-package/README.md'), path.join(agentTree, 'usr/share/doc/escrow-agent/README.md'), 0o644);

const builder = path.join(work, 'electron-builder');
run('npx', [
  'electron-builder',
  '--linux',
  'dir',
  '--x64',
  `-c.directories.output=${builder}`,
  ...(o['electron-dist'] ? [`-c.electronDist=${path.resolve(o['electron-dist'])}`] : []),
]);
const desktopTree = path.join(work, 'escrow-desktop/root');
cpSync(path.join(builder, 'linux-unpacked'), path.join(desktopTree, APP_DIR.slice(1)), { recursive: true });
mkdirSync(path.join(desktopTree, 'usr/bin'), { recursive: true });
symlinkSync(`${APP_DIR}/escrow-desktop`, path.join(desktopTree, 'usr/bin/escrow-desktop'));
put(
  linux('escrow-desktop.desktop'),
  path.join(desktopTree, 'usr/share/applications/escrow-desktop.desktop'),
  0o644,
);
put(
  linux('escrow-desktop-autostart.desktop'),
  path.join(desktopTree, 'etc/xdg/autostart/escrow-desktop.desktop'),
  0o644,
);
put(
  path.join(root, 'assets/icons/app-icon.png'),
  path.join(desktopTree, 'usr/share/icons/hicolor/512x512/apps/escrow-desktop.png'),
  0o644,
);

/** @type {{ name: string, tree: string, summary: string, deb: string[], rpm: string[], scripts: Record<string, string> }[]} */
const packages = [
  {
    name: 'escrow-agent',
    tree: agentTree,
    summary: "Keeps this computer's disk recovery key held in escrow (root service and escrowctl)",
    deb: ['Depends: cryptsetup-bin, util-linux'],
    rpm: ['Requires: cryptsetup, util-linux'],
    scripts: {
      postinst: 'agent-package/postinst.sh',
      prerm: 'agent-package/prerm.sh',
      postrm: 'agent-package/postrm.sh',
    },
  },
  {
    name: 'escrow-desktop',
    tree: desktopTree,
    summary: "Tray app: asks for your disk passphrase when your organisation's escrow needs it",
    // Electron's libraries, as electron-builder's own deb/rpm targets declare them.
    deb: [
      `Depends: escrow-agent (= ${version}), libgtk-3-0, libnotify4, libnss3, libxss1, libxtst6, xdg-utils, libatspi2.0-0, libuuid1, libsecret-1-0`,
    ],
    rpm: [
      `Requires: escrow-agent = ${version}, gtk3, libnotify, nss, libXScrnSaver, libXtst, xdg-utils, at-spi2-core, libuuid`,
    ],
    scripts: { postinst: 'desktop-package/postinst.sh' },
  },
];

mkdirSync(out, { recursive: true });
const made = [];
for (const p of packages) {
  // deb: the tree plus DEBIAN/, owned by root in the archive whatever owns it here.
  const debTree = path.join(work, p.name, 'deb');
  cpSync(p.tree, debTree, { recursive: true, verbatimSymlinks: true });
  mkdirSync(path.join(debTree, 'DEBIAN'));
  const control = [
    `Package: ${p.name}`,
    `Version: ${version}`,
    'Architecture: amd64',
    `Maintainer: ${maintainer}`,
    `Homepage: ${pkg.homepage}`,
    'Section: admin',
    'Priority: optional',
    ...p.deb,
    `Description: ${p.summary}`,
    ` ${pkg.description}`,
    '',
  ];
  writeFileSync(path.join(debTree, 'DEBIAN/control'), control.join('\n'));
  for (const [name, file] of Object.entries(p.scripts))
    put(linux(file), path.join(debTree, 'DEBIAN', name), 0o755);
  const deb = path.join(out, `${p.name}_${version}_amd64.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', debTree, deb]);
  made.push(deb);

  // rpm: a spec whose %install copies the staged tree; scriptlets are the same scripts, given rpm's $1.
  const topdir = path.join(work, p.name, 'rpm');
  const scriptlet = (/** @type {string} */ section, /** @type {string | undefined} */ file) =>
    file ? [`${section} -p /bin/sh`, readFileSync(linux(file), 'utf8')] : [];
  const spec = [
    `Name: ${p.name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: ${p.summary}`,
    `License: ${pkg.license}`,
    `URL: ${pkg.homepage}`,
    `Packager: ${maintainer}`,
    ...p.rpm,
    'AutoReqProv: no',
    '%description',
    pkg.description,
    '%install',
    `cp -a '${p.tree}/.' %{buildroot}/`,
    ...scriptlet('%post', p.scripts.postinst),
    ...scriptlet('%preun', p.scripts.prerm),
    ...scriptlet('%postun', p.scripts.postrm),
    '%files',
    '%defattr(-,root,root,-)',
    ...rpmFiles(p.tree),
    '',
  ];
  const specFile = path.join(topdir, `${p.name}.spec`);
  mkdirSync(topdir, { recursive: true });
  writeFileSync(specFile, spec.join('\n'));
  run('rpmbuild', [
    '-bb',
    '--target',
    'x86_64',
    '--define',
    `_topdir ${topdir}`,
    '--define',
    `_rpmdir ${out}`,
    '--define',
    '_build_id_links none',
    '--define',
    '__os_install_post %{nil}',
    '--define',
    'debug_package %{nil}',
    specFile,
  ]);
  made.push(path.join(out, 'x86_64', `${p.name}-${version}-1.x86_64.rpm`));
}
process.stdout.write(`${made.join('\n')}\n`);

/**
 * %files for a tree: the directories the package alone owns (the app's, the agent's), whole, and every other
 * file and link by name (never /usr, /etc and the like, which belong to the system).
 * @param {string} tree
 */
function rpmFiles(tree) {
  const own = ['/opt/Escrow Desktop', '/usr/lib/escrow-agent', '/usr/share/doc/escrow-agent'].filter((d) =>
    existsSync(path.join(tree, d)),
  );
  const others = run('find', ['.', '!', '-type', 'd'], { cwd: tree })
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((f) => f.slice(1))
    .filter((f) => !own.some((d) => f.startsWith(`${d}/`)));
  return [...own, ...others].map((f) => `"${f}"`);
}
