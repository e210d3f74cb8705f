import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { type PlistValue, parse as parsePlist } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import pkg from '../../package.json' with { type: 'json' };
import { agentExecutable } from './agent-executable-build.js';

/**
 * The macOS pkg: its configuration, and its scripts run for real in a temporary directory standing in for
 * the Mac's volume (Installer passes the volume as $3; every path the scripts touch is under it). The OS
 * edges we cannot run here — launchctl, chown to root:wheel, plutil, pkgutil, BSD stat — are stubs on PATH
 * that record each call, so the test sees what would be loaded, and in which order.
 */
const root = path.resolve(import.meta.dirname, '../..');
// biome-ignore lint/suspicious/noTemplateCurlyInString: electron-builder's file macro, not a template
const ARCH_MACRO = '${arch}';
const macAssets = path.join(root, 'assets/macos');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

interface MacConfig {
  appId: string;
  directories: { buildResources: string };
  mac: { extraResources: { from: string; to: string; filter: string[] }[] };
  pkg: { scripts: string; [key: string]: unknown };
}
const config = parseYaml(read('electron-builder.yml')) as MacConfig;
const schema = JSON.parse(read('node_modules/app-builder-lib/scheme.json'));
// strict:false: the schema uses a non-standard "typeof" keyword (options that may be JS functions).
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
const errorsOf = (candidate: unknown) =>
  validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
// electron-builder's own resolution of `pkg.scripts` (relative to the build resources directory).
const { resolveScriptsDir } = createRequire(import.meta.url)('app-builder-lib/out/targets/pkg.js') as {
  resolveScriptsDir: (buildResourcesDir: string, scripts: string | null | undefined) => string | null;
};
const scriptsDir = resolveScriptsDir(
  path.join(root, config.directories.buildResources),
  config.pkg.scripts,
) as string;
const shipped = config.mac.extraResources.find((r) => r.from === 'assets/macos');

describe('electron-builder.yml, macOS pkg', () => {
  it('is valid against app-builder-lib’s schema, which rejects a broken pkg section', () => {
    expect(errorsOf(config)).toEqual([]);
    expect(errorsOf({ ...config, pkg: { ...config.pkg, scripts: 42 } })).not.toEqual([]);
    expect(errorsOf({ ...config, pkg: { ...config.pkg, postinstall: 'x' } })).not.toEqual([]);
    expect(errorsOf({ ...config, pkg: { ...config.pkg, isRelocatable: 'no' } })).not.toEqual([]);
  });

  it('installs only into /Applications on the startup volume, where the plists and scripts look', () => {
    expect(config.pkg).toMatchObject({
      installLocation: '/Applications',
      isRelocatable: false,
      allowAnywhere: false,
      allowCurrentUserHome: false,
    });
  });

  it('points pkg.scripts at a directory with executable preinstall and postinstall, and nothing else', () => {
    expect(path.relative(root, scriptsDir)).toBe('assets/macos/pkg-scripts');
    // electron-builder takes any file whose name contains "preinstall"/"postinstall" as that script.
    expect(readdirSync(scriptsDir).sort()).toEqual(['postinstall', 'preinstall']);
    for (const name of ['preinstall', 'postinstall']) {
      const file = path.join(scriptsDir, name);
      expect(statSync(file).mode & 0o111, name).toBe(0o111);
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('#!/bin/sh');
    }
  });

  it('ships in Contents/Resources every file the postinstall and the uninstall read', () => {
    expect(shipped?.to).toBe('macos');
    expect(shipped?.filter).toEqual(
      expect.arrayContaining(['*.plist', 'escrow-agent-launcher.sh', 'uninstall.sh']),
    );
    // The agent executable, as Contents/Resources/agent/escrow-agent.
    const exe = config.mac.extraResources.find((r) => r.to === 'agent');
    expect(exe).toEqual({
      from: `dist/agent-exe/darwin-${ARCH_MACRO}`,
      to: 'agent',
      filter: ['escrow-agent'],
    });
  });

  it('the LaunchDaemon is attributed to the app in Login Items (its program is a shell script)', () => {
    const daemon = parsePlist(readFileSync(path.join(macAssets, 'com.escrowdesktop.agent.plist'), 'utf8'));
    expect((daemon as { [k: string]: PlistValue }).AssociatedBundleIdentifiers).toBe(config.appId);
  });

  it('has scripts that are valid POSIX shell', () => {
    for (const file of [
      path.join(scriptsDir, 'preinstall'),
      path.join(scriptsDir, 'postinstall'),
      path.join(macAssets, 'escrow-agent-launcher.sh'),
      path.join(macAssets, 'uninstall.sh'),
    ]) {
      const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
      expect({ file, status: r.status, stderr: r.stderr }).toEqual({ file, status: 0, stderr: '' });
    }
  });
});

describe('the pkg scripts, run in a temporary volume', () => {
  const LABEL = 'com.escrowdesktop.agent';
  const SERVER = 'https://escrow.corp.example:8443/base';
  let volume: string;
  let stubs: string;
  let calls: string;
  const app = () => path.join(volume, 'Applications/Escrow Desktop.app');
  const support = () => path.join(volume, 'Library/Application Support/EscrowDesktop');
  const daemonPlist = () => path.join(volume, 'Library/LaunchDaemons/com.escrowdesktop.agent.plist');
  const agentPlist = () => path.join(volume, 'Library/LaunchAgents/com.escrowdesktop.desktop.plist');
  const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
  const appExecutable = () => path.join(app(), 'Contents/Resources/agent/escrow-agent');
  const agentBin = () => path.join(support(), 'bin');

  beforeEach(() => {
    volume = mkdtempSync(path.join(os.tmpdir(), 'escrow-mac-volume-'));
    stubs = path.join(volume, '.stubs');
    calls = path.join(volume, '.calls');
    // What Installer has put down before the postinstall runs: the app bundle, with the agent executable
    // and Contents/Resources/macos as electron-builder.yml ships them. The executable is a small stand-in
    // that says what it was run as (the Linux one, 120 MB, takes its place where it must really run).
    mkdirSync(path.join(app(), 'Contents/Resources/agent'), { recursive: true });
    writeFileSync(appExecutable(), '#!/bin/sh\necho "stand-in $(basename "$0") $*"\n', { mode: 0o755 });
    mkdirSync(path.join(app(), 'Contents/Resources/macos'));
    for (const name of readdirSync(macAssets)) {
      if (shippedByFilter(name)) {
        copyFileSync(path.join(macAssets, name), path.join(app(), 'Contents/Resources/macos', name));
      }
    }
    mkdirSync(path.join(volume, 'Library/LaunchDaemons'), { recursive: true });
    mkdirSync(path.join(volume, 'Library/LaunchAgents'), { recursive: true });
    // One recording stub for every macOS-only command; BSD `stat -f %u /dev/console` answers uid 501.
    mkdirSync(stubs);
    for (const cmd of ['launchctl', 'chown', 'plutil', 'pkgutil', 'stat']) {
      writeFileSync(
        path.join(stubs, cmd),
        `#!/bin/sh\necho "${cmd} $*" >> "$CALLS"\n${cmd === 'stat' ? 'echo 501\n' : ''}`,
        { mode: 0o755 },
      );
    }
    writeFileSync(calls, '');
  });
  afterEach(() => rmSync(volume, { recursive: true, force: true }));

  function shippedByFilter(name: string): boolean {
    return (shipped?.filter ?? []).some((f) => (f.startsWith('*') ? name.endsWith(f.slice(1)) : name === f));
  }

  function configure(conf: string) {
    mkdirSync(support(), { recursive: true });
    writeFileSync(path.join(support(), 'agent.conf'), conf);
    writeFileSync(path.join(support(), 'enroll-secret'), 'enroll-me\n', { mode: 0o644 });
  }

  /** As Installer calls it: package path, install location, destination volume, system root. */
  function runScript(file: string, args: string[]) {
    const r = spawnSync('sh', [file, ...args], {
      encoding: 'utf8',
      env: { PATH: `${stubs}:${process.env.PATH}`, CALLS: calls },
    });
    const recorded = readFileSync(calls, 'utf8').split('\n').filter(Boolean);
    writeFileSync(calls, '');
    return { ...r, calls: recorded };
  }
  const installerArgs = () => ['/tmp/Escrow Desktop.pkg', path.join(volume, 'Applications'), volume, '/'];
  const postinstall = () => runScript(path.join(scriptsDir, 'postinstall'), installerArgs());
  const launchctlCalls = (r: { calls: string[] }) => r.calls.filter((c) => c.startsWith('launchctl '));

  it('configured: installs launcher, escrowctl and both plists root:wheel, then starts the agent', () => {
    configure(`# deployed by IT\nESCROW_SERVER=${SERVER}\n`);
    const r = postinstall();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('the agent is running');

    expect(mode(support())).toBe('755');
    expect(mode(agentBin())).toBe('755');
    expect(mode(path.join(agentBin(), 'escrow-agent'))).toBe('755');
    expect(readFileSync(path.join(agentBin(), 'escrow-agent'))).toEqual(readFileSync(appExecutable()));
    expect(readlinkSync(path.join(agentBin(), 'escrowctl'))).toBe('escrow-agent');
    expect(existsSync(path.join(agentBin(), 'escrow-agent.new'))).toBe(false);
    expect(mode(path.join(volume, 'Library/Logs/EscrowDesktop'))).toBe('755');
    expect(mode(path.join(support(), 'escrow-agent'))).toBe('755');
    expect(mode(path.join(support(), 'escrowctl'))).toBe('755');
    expect(mode(daemonPlist())).toBe('644');
    expect(mode(agentPlist())).toBe('644');
    expect(mode(path.join(support(), 'enroll-secret'))).toBe('600');
    expect(readlinkSync(path.join(volume, 'usr/local/bin/escrowctl'))).toBe(
      '/Library/Application Support/EscrowDesktop/escrowctl',
    );
    expect(existsSync(`${daemonPlist()}.new`)).toBe(false);
    for (const p of [
      support(),
      agentBin(),
      path.join(agentBin(), 'escrow-agent.new'),
      path.join(volume, 'Library/Logs/EscrowDesktop'),
      path.join(support(), 'escrow-agent'),
      path.join(support(), 'escrowctl'),
      agentPlist(),
      path.join(support(), 'enroll-secret'),
      `${daemonPlist()}.new`,
    ]) {
      expect(r.calls, p).toContain(`chown root:wheel ${p}`);
    }

    // The installed daemon plist is the template with only the server URL filled in.
    const template = parsePlist(readFileSync(path.join(macAssets, `${LABEL}.plist`), 'utf8')) as {
      [k: string]: PlistValue;
    };
    const installed = parsePlist(readFileSync(daemonPlist(), 'utf8')) as { [k: string]: PlistValue };
    const args = installed.ProgramArguments as string[];
    expect(args[args.indexOf('--server') + 1]).toBe(SERVER);
    expect({ ...installed, ProgramArguments: null }).toEqual({ ...template, ProgramArguments: null });
    expect(args.map((a) => (a === SERVER ? 'https://escrow.example.com' : a))).toEqual(
      template.ProgramArguments,
    );
    // The program it names is the launcher just installed (on the volume's own root).
    expect(path.join(volume, args[0] as string)).toBe(path.join(support(), 'escrow-agent'));
    expect(readFileSync(agentPlist(), 'utf8')).toBe(
      readFileSync(path.join(macAssets, 'com.escrowdesktop.desktop.plist'), 'utf8'),
    );

    // Old agent out, plist checked and made root-owned, then enabled and loaded, in that order.
    const order = r.calls.filter((c) => /^(launchctl|plutil)/.test(c) || c.includes('LaunchDaemons'));
    expect(order).toEqual([
      `launchctl bootout system/${LABEL}`,
      `plutil -lint ${daemonPlist()}.new`,
      `chown root:wheel ${daemonPlist()}.new`,
      `launchctl enable system/${LABEL}`,
      `launchctl bootstrap system ${daemonPlist()}`,
    ]);
  });

  it('the installed launcher and escrowctl link run the agent executable, copied out of the app', () => {
    // The real executable (this machine's) in place of the Mac's, which cannot run here.
    rmSync(appExecutable());
    copyFileSync(agentExecutable(), appExecutable());
    configure(`ESCROW_SERVER=${SERVER}\n`);
    expect(postinstall().status).toBe(0);
    rmSync(app(), { recursive: true }); // nothing runs from the bundle
    const env = { PATH: process.env.PATH, ESCROW_AGENT_DIR: agentBin() };
    const agent = spawnSync(path.join(support(), 'escrow-agent'), ['--version'], {
      encoding: 'utf8',
      env,
      cwd: os.tmpdir(),
    });
    expect(agent.stderr).toBe('');
    expect(agent.stdout.trim()).toBe(pkg.version);
    // Through the link in /usr/local/bin, resolved inside the temp volume.
    const link = path.join(volume, 'usr/local/bin/escrowctl');
    const target = path.join(volume, readlinkSync(link));
    const ctl = spawnSync('sh', [target, '--socket', path.join(volume, 'none.sock'), 'status'], {
      encoding: 'utf8',
      env,
      cwd: os.tmpdir(),
    });
    expect(ctl.status).toBe(4);
    expect(ctl.stderr).toContain('the escrow agent is not running');
  });

  it('the launcher refuses an executable that is not root’s alone, in one line, and runs nothing', () => {
    configure(`ESCROW_SERVER=${SERVER}\n`);
    expect(postinstall().status).toBe(0);
    const exe = path.join(agentBin(), 'escrow-agent');
    const launch = () =>
      spawnSync(path.join(support(), 'escrow-agent'), ['--version'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ESCROW_AGENT_DIR: agentBin() },
      });
    expect(launch().stdout).toBe('stand-in escrow-agent --version\n');
    chownSync(exe, 65534, 0);
    const owned = launch();
    expect(owned.status).toBe(78);
    expect(owned.stdout).toBe('');
    expect(owned.stderr).toBe(
      `escrow-agent: refusing to run ${exe}: ${exe} is -rwxr-xr-x owned by uid 65534; it must be owned by root and writable by no one else\n`,
    );
    chownSync(exe, 0, 0);
    chmodSync(agentBin(), 0o775);
    const writable = launch();
    expect(writable.status).toBe(78);
    expect(writable.stderr).toContain(`${agentBin()} is drwxrwxr-x owned by uid 0`);
  });

  it('not configured: installs the program but no daemon plist, and does not start the agent', () => {
    const r = postinstall();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('not started');
    expect(existsSync(path.join(support(), 'escrow-agent'))).toBe(true);
    expect(existsSync(agentPlist())).toBe(true);
    expect(existsSync(daemonPlist())).toBe(false);
    expect(launchctlCalls(r)).toEqual([`launchctl bootout system/${LABEL}`]);
  });

  it('configuration removed since the last install: the daemon plist goes too (launchd would load it at boot)', () => {
    configure(`ESCROW_SERVER=${SERVER}\n`);
    expect(postinstall().status).toBe(0);
    rmSync(path.join(support(), 'agent.conf'));
    const r = postinstall();
    expect(r.status).toBe(0);
    expect(existsSync(daemonPlist())).toBe(false);
    expect(launchctlCalls(r)).toEqual([`launchctl bootout system/${LABEL}`]);
  });

  it('a server URL without its enroll secret is not enough', () => {
    configure(`ESCROW_SERVER=${SERVER}\n`);
    rmSync(path.join(support(), 'enroll-secret'));
    const r = postinstall();
    expect(r.status).toBe(0);
    expect(existsSync(daemonPlist())).toBe(false);
    expect(launchctlCalls(r)).toEqual([`launchctl bootout system/${LABEL}`]);
  });

  it('refuses a server URL that is not https or would need escaping, and loads nothing', () => {
    for (const [url, reason] of [
      ['http://escrow.corp.example', 'must be an https:// URL'],
      ['"https://escrow.corp.example"', 'must be an https:// URL'],
      ['https://escrow.corp.example/a&b', 'has a character other than'],
      ['https://escrow.corp.example/</string><string>x', 'has a character other than'],
      ['https://', 'must be an https:// URL'],
    ]) {
      configure(`ESCROW_SERVER=${url}\n`);
      const r = postinstall();
      expect({ url, status: r.status }).toEqual({ url, status: 1 });
      expect(r.stderr).toContain(reason);
      expect(existsSync(daemonPlist())).toBe(false);
      expect(launchctlCalls(r)).toEqual([`launchctl bootout system/${LABEL}`]);
    }
  });

  it('upgrade: preinstall stops the old agent; postinstall reinstalls and loads it again', () => {
    configure(`ESCROW_SERVER=${SERVER}\n`);
    expect(postinstall().status).toBe(0);
    const pre = runScript(path.join(scriptsDir, 'preinstall'), installerArgs());
    expect(pre.status).toBe(0);
    expect(pre.calls).toEqual([`launchctl bootout system/${LABEL}`]);
    configure('ESCROW_SERVER=https://new.corp.example\n');
    const again = postinstall();
    expect(again.status).toBe(0);
    expect(launchctlCalls(again)).toEqual([
      `launchctl bootout system/${LABEL}`,
      `launchctl enable system/${LABEL}`,
      `launchctl bootstrap system ${daemonPlist()}`,
    ]);
    expect(readFileSync(daemonPlist(), 'utf8')).toContain('<string>https://new.corp.example</string>');
  });

  it('uninstall: unloads both, removes what the pkg installed, keeps configuration and state', () => {
    configure(`ESCROW_SERVER=${SERVER}\n`);
    expect(postinstall().status).toBe(0);
    mkdirSync(path.join(volume, 'var/db/escrow-agent'), { recursive: true });
    const r = runScript(path.join(app(), 'Contents/Resources/macos/uninstall.sh'), [volume]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(launchctlCalls(r)).toEqual([
      `launchctl bootout system/${LABEL}`,
      'launchctl bootout gui/501/com.escrowdesktop.desktop',
    ]);
    expect(r.calls).toContain(`pkgutil --volume ${volume}/ --forget org.escrowdesktop.app`);
    for (const gone of [
      daemonPlist(),
      agentPlist(),
      path.join(support(), 'escrow-agent'),
      path.join(support(), 'escrowctl'),
      agentBin(),
      path.join(volume, 'usr/local/bin/escrowctl'),
      app(),
    ]) {
      expect(existsSync(gone), gone).toBe(false);
    }
    for (const kept of ['agent.conf', 'enroll-secret']) {
      expect(existsSync(path.join(support(), kept)), kept).toBe(true);
    }
    expect(existsSync(path.join(volume, 'var/db/escrow-agent'))).toBe(true);
  });

  it('install and uninstall leave an escrowctl in /usr/local/bin that is not their own link', () => {
    const foreign = path.join(volume, 'usr/local/bin/escrowctl');
    mkdirSync(path.dirname(foreign), { recursive: true });
    writeFileSync(foreign, 'someone else’s\n');
    const install = postinstall();
    expect(install.status).toBe(0);
    expect(install.stderr).toContain('is not ours; left as it is');
    expect(readFileSync(foreign, 'utf8')).toBe('someone else’s\n');
    expect(runScript(path.join(macAssets, 'uninstall.sh'), [volume]).status).toBe(0);
    expect(readFileSync(foreign, 'utf8')).toBe('someone else’s\n');
  });

  it('installing again keeps its own escrowctl link, silently', () => {
    expect(postinstall().status).toBe(0);
    const again = postinstall();
    expect(again.stderr).toBe('');
    expect(readlinkSync(path.join(volume, 'usr/local/bin/escrowctl'))).toBe(
      '/Library/Application Support/EscrowDesktop/escrowctl',
    );
  });
});
