import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
// biome-ignore lint/suspicious/noTemplateCurlyInString: electron-builder's file macro, not a template
const ARCH_MACRO = '${arch}';
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

// electron-builder's own JSON schema. strict:false because it uses a non-standard "typeof" keyword for
// options that may be JS functions; formats are not checked (none of ours carry one).
const schema = JSON.parse(read('node_modules/app-builder-lib/scheme.json'));
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
/** The parts of the configuration these tests read (the schema checks the whole of it). */
type Resources = { from: string; to: string; filter?: string[] }[];
interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  extraResources?: Resources;
  electronFuses: Record<string, boolean>;
  mac: { icon: string; target: unknown; extendInfo: Record<string, unknown>; extraResources: Resources };
  linux: { icon: string; target: string[]; executableName: string; maintainer: string; desktop?: unknown };
  win: { icon: string; target: string[]; extraResources: Resources };
  nsis: { include: string; oneClick: unknown };
}
const config = parse(read('electron-builder.yml')) as BuilderConfig;

function errorsOf(candidate: unknown): string[] {
  return validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('electron-builder.yml', () => {
  it('is valid against the schema shipped in app-builder-lib', () => {
    expect(errorsOf(config)).toEqual([]);
  });

  it('the same validation rejects broken configurations', () => {
    expect(errorsOf({ ...config, appID: 'typo' })).not.toEqual([]);
    expect(errorsOf({ ...config, mac: { ...config.mac, target: 42 } })).not.toEqual([]);
    expect(errorsOf({ ...config, nsis: { ...config.nsis, oneClick: 'yes' } })).not.toEqual([]);
    expect(errorsOf({ ...config, linux: { ...config.linux, desktop: { Name: 'x' } } })).not.toEqual([]);
    expect(errorsOf({ ...config, linux: { ...config.linux, maintainer: 42 } })).not.toEqual([]);
  });

  it('makes a menu-bar app on macOS, the app directory for npm run package on Linux, an NSIS installer on Windows', () => {
    expect(config.appId).toBe('org.escrowdesktop.app');
    expect(config.productName).toBe('Escrow Desktop');
    expect(config.mac.extendInfo.LSUIElement).toBe(true);
    expect(config.mac.target).toEqual(['dmg', 'pkg']);
    // deb and rpm are made by scripts/package-linux.mjs from this (test/packaging/linux-packages.test.ts).
    expect(config.linux.target).toEqual(['dir']);
    // What electron-builder refuses Linux packages without, and what the packages name as maintainer.
    const pkg = JSON.parse(read('package.json')) as {
      author: { name: string; email: string };
      homepage: string;
    };
    expect(pkg.author.email).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(config.linux.maintainer).toBe(`${pkg.author.name} <${pkg.author.email}>`);
    expect(config.win.target).toEqual(['nsis']);
  });

  it('ships no agent JavaScript in the app, and the agent executable to outside it', () => {
    const everyResource = [
      ...(config.extraResources ?? []),
      ...config.mac.extraResources,
      ...config.win.extraResources,
    ];
    // Nothing from dist/agent (the agent's script, for Electron-as-Node before docs/decisions/0005).
    expect(everyResource.filter((r) => r.from === 'dist/agent' || r.from.startsWith('dist/agent/'))).toEqual(
      [],
    );
    // macOS and Windows carry the executable for their installer to move out (pkg postinstall,
    // installer.nsh); deb and rpm install it themselves at /usr/lib/escrow-agent.
    expect(config.mac.extraResources).toContainEqual({
      from: `dist/agent-exe/darwin-${ARCH_MACRO}`,
      to: 'agent',
      filter: ['escrow-agent'],
    });
    expect(config.win.extraResources).toContainEqual({
      from: `dist/agent-exe/win-${ARCH_MACRO}`,
      to: 'agent',
      filter: ['escrow-agent.exe'],
    });
    expect(read('assets/windows/installer.nsh')).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an NSIS define, not a template
      'Rename "$INSTDIR\\resources\\agent\\escrow-agent.exe" "${ESCROW_AGENT_DIR}\\escrow-agent.exe"',
    );
    // The harness is built to a folder of its own that no include pattern names.
    expect(config.files.filter((f) => f.includes('web-harness') || /^dist\/\*\*/.test(f))).toEqual([]);
  });

  it('turns off the Electron fuses the agent no longer needs, and the schema knows each one', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(errorsOf({ ...config, electronFuses: { ...config.electronFuses, runAsNode: 'no' } })).not.toEqual(
      [],
    );
    expect(errorsOf({ ...config, electronFuses: { ...config.electronFuses, runAsnode: false } })).not.toEqual(
      [],
    );
  });

  it('points at files that exist', () => {
    for (const p of [
      config.mac.icon,
      config.linux.icon,
      config.win.icon,
      config.nsis.include,
      'assets/linux/escrow-agent.service',
      'assets/linux/escrow-agent-launcher.sh',
      'assets/linux/agent-package/postinst.sh',
      'assets/linux/agent-package/prerm.sh',
      'assets/linux/agent-package/postrm.sh',
      'assets/linux/agent-package/README.md',
      'assets/linux/desktop-package/postinst.sh',
      'assets/linux/escrow-desktop-autostart.desktop',
    ]) {
      expect(existsSync(path.join(root, p)), p).toBe(true);
    }
  });
});

describe('start at login', () => {
  function desktopEntry(file: string): Record<string, string> {
    const lines = read(file).split('\n');
    expect(lines[0]).toBe('[Desktop Entry]');
    return Object.fromEntries(
      lines
        .filter((l) => l.includes('=') && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  it('has an XDG application entry and an autostart entry that runs the same executable', () => {
    const app = desktopEntry('assets/linux/escrow-desktop.desktop');
    const auto = desktopEntry('assets/linux/escrow-desktop-autostart.desktop');
    for (const e of [app, auto]) {
      expect(e).toMatchObject({ Type: 'Application', Name: 'Escrow Desktop', Terminal: 'false' });
      expect(e.Exec).toBe(config.linux.executableName);
      expect(e.Categories?.endsWith(';')).toBe(true);
    }
    expect(auto.NoDisplay).toBe('true');
  });

  it('writes and removes the same Windows Run entry', () => {
    const nsh = read('assets/windows/installer.nsh');
    const key = 'HKLM "Software\\Microsoft\\Windows\\CurrentVersion\\Run" "EscrowDesktop"';
    expect(nsh).toContain(`WriteRegStr ${key}`);
    expect(nsh).toContain(`DeleteRegValue ${key}`);
    expect(read('assets/windows/run-at-login.reg')).toContain('"EscrowDesktop"=');
  });
});

describe('Windows toasts', () => {
  it('the app’s AppUserModelID is the installer’s appId, so its notifications are shown', async () => {
    const { WINDOWS_APP_USER_MODEL_ID } = await import('../../src-main/electron/tray-support.js');
    expect(read('electron-builder.yml')).toContain(`appId: ${WINDOWS_APP_USER_MODEL_ID}\n`);
  });
});

describe('the Windows agent task', () => {
  it('is created and removed under one name, runs as SYSTEM at boot, and its data folder is admin-only', () => {
    const nsh = read('assets/windows/installer.nsh');
    expect(nsh).toContain('!define ESCROW_TASK "Escrow Desktop Agent"');
    expect(nsh).toMatch(/schtasks\.exe" \/Create \/F \/TN "\$\{ESCROW_TASK\}" \/RU SYSTEM \/SC ONSTART/);
    expect(nsh).toMatch(/schtasks\.exe" \/Delete \/F \/TN "\$\{ESCROW_TASK\}"/);
    expect(nsh).toContain('/inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F');
    // The recovery password never passes through the installer: only the server URL and file paths do.
    expect(nsh).not.toMatch(/RecoveryPassword|NumericalPassword/);
  });
});

describe('icons', () => {
  function decodePng(buf: Buffer): { width: number; height: number; rgba: Buffer } {
    expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    expect(buf.readUInt8(24)).toBe(8); // bit depth
    expect(buf.readUInt8(25)).toBe(6); // RGBA
    const idat: Buffer[] = [];
    for (let o = 8; o < buf.length; ) {
      const len = buf.readUInt32BE(o);
      if (buf.toString('ascii', o + 4, o + 8) === 'IDAT') idat.push(buf.subarray(o + 8, o + 8 + len));
      o += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const rgba = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) {
      expect(raw[y * (width * 4 + 1)]).toBe(0); // the generator writes filter 0 only
      raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
    }
    return { width, height, rgba };
  }

  const states = ['escrowed', 'action_needed', 'working', 'agent_unavailable', 'server_unreachable'];

  it('has @1x and @2x tray icons for every state; macOS templates are black with alpha only', () => {
    for (const s of states) {
      for (const [suffix, size] of [
        ['', 16],
        ['@2x', 32],
      ] as const) {
        const template = decodePng(
          readFileSync(path.join(root, `assets/icons/tray-${s}Template${suffix}.png`)),
        );
        expect([template.width, template.height]).toEqual([size, size]);
        let opaque = 0;
        for (let i = 0; i < template.rgba.length; i += 4) {
          if ((template.rgba[i + 3] as number) > 0) {
            opaque++;
            expect([template.rgba[i], template.rgba[i + 1], template.rgba[i + 2]]).toEqual([0, 0, 0]);
          }
        }
        expect(opaque).toBeGreaterThan(size * 2);
        expect(decodePng(readFileSync(path.join(root, `assets/icons/tray-${s}${suffix}.png`))).width).toBe(
          size,
        );
      }
    }
  });

  it('has the states drawn differently (shape alone tells them apart)', () => {
    const pixels = states.map((s) =>
      decodePng(readFileSync(path.join(root, `assets/icons/tray-${s}Template@2x.png`))).rgba.toString('hex'),
    );
    expect(new Set(pixels).size).toBe(states.length);
  });

  it('has .ico files made of PNG images at Windows tray sizes', () => {
    const icos = readdirSync(path.join(root, 'assets/icons')).filter((f) => f.endsWith('.ico'));
    expect(icos).toEqual(expect.arrayContaining(['app.ico', ...states.map((s) => `tray-${s}.ico`)]));
    for (const f of icos) {
      const ico = readFileSync(path.join(root, 'assets/icons', f));
      expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
      const count = ico.readUInt16LE(4);
      const sizes: number[] = [];
      for (let i = 0; i < count; i++) {
        const e = 6 + 16 * i;
        const offset = ico.readUInt32LE(e + 12);
        const img = decodePng(ico.subarray(offset, offset + ico.readUInt32LE(e + 8)));
        sizes.push(img.width);
      }
      expect(sizes).toEqual(expect.arrayContaining([16, 24, 32]));
    }
  });
});
