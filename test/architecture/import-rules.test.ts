import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The rooms and what each may import (docs/ARCHITECTURE.md, "Rooms and what each may import"). The rules
 * keep the trust boundaries honest: contracts hold no I/O, the renderer reaches neither Node nor Electron
 * and takes only types from the contracts, programs never import each other, and Electron stays at the
 * edge of the desktop app.
 */
const ROOMS = [
  'ipc',
  'node-lib',
  'src-agent',
  'src-server',
  'src-main',
  'src-renderer',
  'src-console',
  'web-harness',
] as const;
type Room = (typeof ROOMS)[number];

/** Folders (or files) of other rooms each room may import, besides its own. */
const MAY_IMPORT: Record<Room, readonly string[]> = {
  ipc: [],
  'node-lib': ['ipc'],
  'src-agent': ['ipc/desktop-agent', 'ipc/agent-server', 'ipc/schema-helpers.ts', 'node-lib'],
  'src-server': [
    'ipc/agent-server',
    'ipc/admin',
    'ipc/schema-helpers.ts',
    'node-lib/cms',
    'node-lib/logger.ts',
    'node-lib/error-message.ts',
  ],
  'src-main': [
    'ipc/desktop-agent',
    'ipc/window-bridge',
    'ipc/schema-helpers.ts',
    'node-lib/agent-socket',
    'node-lib/error-message.ts',
  ],
  'src-renderer': ['ipc/desktop-agent', 'ipc/window-bridge'],
  // The admin's browser: the admin API's types, nothing of the server or the desktop.
  'src-console': ['ipc/admin'],
  'web-harness': [
    'ipc',
    'node-lib/agent-socket',
    'src-main/core',
    'src-main/shell',
    'src-main/preload',
    'src-main/renderer-policy.ts',
  ],
};

/** Web pages take only types from the contracts: schemas (zod) and anything with a value stay out of them. */
const TYPES_ONLY: ReadonlySet<Room> = new Set(['src-renderer', 'src-console']);

/** Finer rules inside a room: [folder, what it must never import, why]. */
const FORBIDDEN_WITHIN: readonly [string, RegExp, string][] = [
  ['src-main/core', /^electron$|src-main\/(electron|preload)\/|^web-harness\//, 'core is plain Node'],
  ['src-main/shell', /^electron$|src-main\/(electron|preload)\/|^web-harness\//, 'the shell port is plain'],
  ['src-main/os', /^electron$|^web-harness\//, 'OS edges run without Electron'],
  // Read by the Electron adapter, the renderer's build and the harness alike, so it imports nothing at all.
  ['src-main/renderer-policy.ts', /./, 'the renderer policy is plain data'],
  ['src-agent/linux', /^src-agent\/macos\//, 'platform modules are independent'],
  ['src-agent/macos', /^src-agent\/linux\//, 'platform modules are independent'],
  ['ipc', /^node:|^electron$|^(fs|net|child_process|http|https)$/, 'contracts hold no I/O'],
  [
    'src-renderer',
    /^node:|^electron$|^(fs|net|child_process|http|https|path|os)$/,
    'the renderer is a web page',
  ],
  [
    'src-console',
    /^node:|^electron$|^(fs|net|child_process|http|https|path|os)$/,
    'the console is a web page',
  ],
];

const root = path.resolve(import.meta.dirname, '../..');

/** Relative path → source text, for every shipped source file below `dir` (not tests, not their helpers). */
function sourceFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'node_modules' && name !== 'test-support' && name !== 'fixtures') walk(full);
      } else if (/\.(ts|tsx)$/.test(name) && !/\.(test|config)\.tsx?$/.test(name)) {
        out.set(path.relative(root, full).split(path.sep).join('/'), readFileSync(full, 'utf8'));
      }
    }
  };
  walk(dir);
  return out;
}

interface ImportLine {
  spec: string;
  typeOnly: boolean;
}

function importsOf(text: string): ImportLine[] {
  const found: ImportLine[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s*['"]([^'"]+)['"]/g)) {
    found.push({ spec: m[3] as string, typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ spec: (m[1] ?? m[2]) as string, typeOnly: false });
  }
  return found;
}

/** A relative import resolved to a path from the repository root (`.js` names the `.ts` source). */
function resolve(file: string, spec: string): string {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  return target.replace(/\.js$/, '.ts');
}

const roomOf = (rel: string): Room | undefined => ROOMS.find((r) => rel === r || rel.startsWith(`${r}/`));
const under = (rel: string, place: string) => rel === place || rel.startsWith(`${place.replace(/\/$/, '')}/`);

/** Every rule broken by the given files, one line each. Pure, so a test can plant a violation. */
function violations(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    const room = roomOf(file);
    if (!room) continue;
    for (const { spec, typeOnly } of importsOf(text)) {
      const relative = spec.startsWith('.');
      const target = relative ? resolve(file, spec) : spec;
      if (relative) {
        const targetRoom = roomOf(target);
        if (targetRoom !== room) {
          const allowed = MAY_IMPORT[room].some((place) => under(target.replace(/\.tsx?$/, '.ts'), place));
          if (!allowed) found.push(`${file} imports ${spec}: ${room} may not import ${target}`);
          else if (TYPES_ONLY.has(room) && !typeOnly)
            found.push(`${file} imports ${spec}: values, not types`);
        }
      }
      for (const [place, forbidden, why] of FORBIDDEN_WITHIN) {
        if (under(file, place) && forbidden.test(target)) found.push(`${file} imports ${spec}: ${why}`);
      }
    }
  }
  return found;
}

function allRooms(): Map<string, string> {
  const files = new Map<string, string>();
  for (const room of ROOMS) for (const [f, t] of sourceFiles(path.join(root, room))) files.set(f, t);
  return files;
}

describe('import rules between rooms', () => {
  const files = allRooms();

  it('hold for every shipped source file', () => {
    expect(violations(files)).toEqual([]);
  });

  it('see real imports (guards against a pattern that matches nothing)', () => {
    const client = importsOf(files.get('node-lib/agent-socket/client.ts') ?? '').map((i) => i.spec);
    expect(client).toContain('./frame-codec.js');
    const renderer = importsOf(files.get('src-renderer/app.tsx') ?? '');
    expect(renderer.some((i) => i.typeOnly && i.spec.includes('ipc/window-bridge'))).toBe(true);
    const console = importsOf(files.get('src-console/api/types.ts') ?? '');
    expect(console.some((i) => i.typeOnly && i.spec.includes('ipc/admin'))).toBe(true);
    expect(files.size).toBeGreaterThan(100);
  });

  // Each planted file breaks one rule; the checker must name it. Without this a rule that silently stopped
  // matching (a renamed folder, a wrong pattern) would pass for ever.
  it.each([
    ['src-renderer/planted.ts', "import { AgentClient } from '../node-lib/agent-socket/client.js';"],
    ['src-renderer/planted.ts', "import { UiState } from '../ipc/window-bridge/contract.js';"],
    ['src-renderer/planted.ts', "import { readFile } from 'node:fs';"],
    ['src-console/planted.ts', "import { DiskEncryptionRequest } from '../ipc/admin/admin-api.js';"],
    ['src-console/planted.ts', "import type { UiState } from '../ipc/window-bridge/contract.js';"],
    ['src-console/screens/planted.ts', "import type { HostView } from '../../src-server/storage/port.js';"],
    ['src-console/planted.ts', "import { strings } from '../src-renderer/strings.js';"],
    ['src-console/planted.ts', "import { readFile } from 'node:fs';"],
    ['src-server/planted.ts', "import { adminApi } from '../src-console/api/admin.js';"],
    ['src-agent/planted.ts', "import { startServer } from '../src-server/server.js';"],
    ['src-server/planted.ts', "import { AgentClient } from '../node-lib/agent-socket/client.js';"],
    ['src-main/core/planted.ts', "import { app } from 'electron';"],
    ['src-main/core/planted.ts', "import { startWebDesktop } from '../../web-harness/web-desktop.js';"],
    ['src-main/core/planted.ts', "import { createSecureWindow } from '../electron/security.js';"],
    ['src-main/shell/planted.ts', "import { BrowserWindow } from 'electron';"],
    ['src-main/shell/planted.ts', "import { RecordingShell } from '../../web-harness/recording-shell.js';"],
    ['src-main/renderer-policy.ts', "import { app } from 'electron';"],
    ['src-main/renderer-policy.ts', "import path from 'node:path';"],
    ['web-harness/planted.ts', "import { lockDownSession } from '../src-main/electron/security.js';"],
    ['src-agent/linux/planted.ts', "import { readFileVaultState } from '../macos/filevault-state.js';"],
    ['src-agent/macos/planted.ts', "import { Cryptsetup } from '../linux/cryptsetup.js';"],
    ['ipc/desktop-agent/planted.ts', "import net from 'node:net';"],
    ['ipc/planted.ts', "import { createLogger } from '../node-lib/logger.js';"],
    ['node-lib/planted.ts', "import { startAgent } from '../src-agent/start-agent.js';"],
  ])('fail on a planted forbidden import in %s: %s', (file, line) => {
    const planted = new Map(files);
    planted.set(file, `${line}\n`);
    expect(violations(planted).some((v) => v.startsWith(`${file} imports`))).toBe(true);
  });

  it('agent code imports the CMS modules it uses, not their barrel (which brings pkijs into the agent)', () => {
    const agent = [...files].filter(([f]) => f.startsWith('src-agent/'));
    const offenders = agent.filter(([, t]) =>
      importsOf(t).some((i) => /node-lib\/cms(\/index\.js)?$/.test(i.spec)),
    );
    expect(offenders.map(([f]) => f)).toEqual([]);
    expect(agent.some(([, t]) => importsOf(t).some((i) => i.spec.includes('node-lib/cms/encrypt.js')))).toBe(
      true,
    );
  });
});
