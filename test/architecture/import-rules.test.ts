import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The rooms and what each may import (docs/ARCHITECTURE.md). The rules keep the trust boundaries honest:
 * the renderer cannot reach Node, the server never depends on agent or desktop code, and the agent reaches
 * the server only through the API contract.
 */
const ROOMS = ['ipc', 'src-shared', 'src-agent', 'src-server', 'src-main', 'src-renderer'] as const;
type Room = (typeof ROOMS)[number];

const MAY_IMPORT: Record<Room, readonly string[]> = {
  ipc: [],
  'src-shared': [],
  'src-server': ['src-shared'],
  'src-agent': ['ipc', 'src-shared', 'src-server/api'],
  'src-main': ['ipc'],
  'src-renderer': ['ipc', 'src-main/bridge'],
};

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    // Tests and build configs (vite.config.ts) run in Node during development, not in the room.
    return /\.(ts|tsx)$/.test(name) && !/\.(test|config)\.tsx?$/.test(name) ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
  return specs.filter((s) => s.startsWith('.'));
}

function roomOf(absPath: string): Room | undefined {
  const rel = path.relative(root, absPath).split(path.sep).join('/');
  return ROOMS.find((r) => rel === r || rel.startsWith(`${r}/`));
}

describe('import rules between rooms', () => {
  for (const room of ROOMS) {
    it(`${room} imports only ${MAY_IMPORT[room].join(', ') || 'itself'}`, () => {
      const violations: string[] = [];
      for (const file of sourceFiles(path.join(root, room))) {
        for (const spec of importsOf(file)) {
          const target = path.resolve(path.dirname(file), spec);
          const targetRoom = roomOf(target);
          if (!targetRoom || targetRoom === room) continue;
          const rel = path.relative(root, target).split(path.sep).join('/');
          if (!MAY_IMPORT[room].some((allowed) => rel === allowed || rel.startsWith(`${allowed}/`))) {
            violations.push(`${path.relative(root, file)} imports ${spec}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('the renderer imports no Node built-ins and no electron', () => {
    const offenders = sourceFiles(path.join(root, 'src-renderer')).filter((f) =>
      /from\s+['"](node:|electron['"]|fs['"]|child_process['"])/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('agent code imports the CMS modules it uses, not their barrel (which brings pkijs into the agent)', () => {
    const shipped = sourceFiles(path.join(root, 'src-agent')).filter(
      (f) => !/[/\\]test-support[/\\]|\.test-helper\.ts$/.test(f),
    );
    const offenders = shipped.filter((f) =>
      importsOf(f).some((s) => /src-shared\/cms(\/index\.js)?$/.test(s)),
    );
    expect(offenders).toEqual([]);
    expect(shipped.some((f) => importsOf(f).some((s) => s.includes('src-shared/cms/encrypt.js')))).toBe(true);
  });

  it('the rule checker sees real imports (guards against a regex that matches nothing)', () => {
    const clientImports = importsOf(path.join(root, 'ipc/client.ts'));
    expect(clientImports).toContain('./frame-codec.js');
  });
});
