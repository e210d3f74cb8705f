import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as admin from './admin/admin-api.js';
import * as orbit from './agent-server/orbit-api.js';
import { isStorableText, text } from './schema-helpers.js';

/**
 * Every string a contract accepts must be storable text (`text()`): a string field built with a raw
 * `z.string()` accepts an unpaired surrogate, which the database then silently stores as U+FFFD (and a team
 * name made of one was a 500). This walks every exported schema of both server contracts, finds each string
 * node wherever it sits (objects, optionals, unions, arrays, pipes…), and asks it to parse a value that fits
 * its length bounds but holds an unpaired surrogate, then one with a NUL; both must be refused.
 *
 * Checked that it bites: with `text()` back to `z.string().max(max)` this test names every string field of
 * both contracts (the planted field below is the permanent proof).
 */

type Node = z.core.$ZodType;

/** Every string node under a schema, with a path for the message. */
function stringNodes(
  schema: Node,
  path: string,
  out: { path: string; node: z.ZodString }[],
  ancestors = new Set<Node>(), // only to stop a recursive (lazy) schema; a shared field is reported per path
) {
  if (ancestors.has(schema)) return out;
  ancestors.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const walk = (child: unknown, suffix: string) => {
    if (child && typeof child === 'object' && '_zod' in child)
      stringNodes(child as Node, path + suffix, out, ancestors);
  };
  switch (def.type) {
    case 'string':
      out.push({ path, node: schema as unknown as z.ZodString });
      break;
    case 'object':
      for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) walk(v, `.${k}`);
      walk(def.catchall, '.*');
      break;
    case 'array':
      walk(def.element, '[]');
      break;
    case 'union':
      (def.options as unknown[]).forEach((o, i) => void walk(o, `|${i}`));
      break;
    case 'intersection':
      walk(def.left, '&l');
      walk(def.right, '&r');
      break;
    case 'pipe':
      walk(def.in, '');
      walk(def.out, '>');
      break;
    case 'record':
      walk(def.keyType, '{key}');
      walk(def.valueType, '{}');
      break;
    case 'tuple':
      (def.items as unknown[]).forEach((o, i) => void walk(o, `[${i}]`));
      walk(def.rest, '[...]');
      break;
    case 'lazy':
      walk((def.getter as () => unknown)(), '');
      break;
    default:
      // optional, nullable, default, prefault, catch, readonly, nonoptional: one inner type
      walk(def.innerType, '');
  }
  ancestors.delete(schema);
  return out;
}

/** A value of the node's length bounds with `bad` in the middle. */
function probe(node: z.ZodString, bad: string): string {
  const len = Math.max(3, node.minLength ?? 0);
  const fill = 'a'.repeat(len - 1);
  return fill.slice(0, 1) + bad + fill.slice(1);
}

function leaks(schemas: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(schemas)) {
    if (!(value instanceof z.ZodType)) continue;
    for (const { path, node } of stringNodes(value, name, [])) {
      for (const [what, bad] of [
        ['an unpaired surrogate', '\uD800'],
        ['a NUL', '\0'],
      ] as const) {
        if (node.safeParse(probe(node, bad)).success) found.push(`${path} accepts ${what}`);
      }
    }
  }
  return found;
}

describe('every string in the server contracts is storable text', () => {
  it('orbit API (agent ↔ server) and admin API', () => {
    const orbitNodes = Object.values(orbit).filter((v) => v instanceof z.ZodType);
    const adminNodes = Object.values(admin).filter((v) => v instanceof z.ZodType);
    expect(orbitNodes.length).toBeGreaterThan(8);
    expect(adminNodes.length).toBeGreaterThan(4);
    expect(leaks({ ...prefixed('orbit.', orbit), ...prefixed('admin.', admin) })).toEqual([]);
  });

  it('finds a raw z.string() wherever it hides (the walker still bites)', () => {
    const planted = {
      Planted: z.object({
        ok: text(10),
        raw: z.string().max(10),
        deep: z.array(z.union([z.number(), z.object({ inner: z.string().optional() })])).optional(),
        piped: z.string().transform((s) => s.length),
      }),
    };
    expect(leaks(planted)).toEqual([
      'Planted.raw accepts an unpaired surrogate',
      'Planted.raw accepts a NUL',
      'Planted.deep[]|1.inner accepts an unpaired surrogate',
      'Planted.deep[]|1.inner accepts a NUL',
      'Planted.piped accepts an unpaired surrogate',
      'Planted.piped accepts a NUL',
    ]);
  });

  it('text() keeps well-formed text, pairs and all, and names the problem', () => {
    expect(text(20).parse('Zoë 👩‍💻 ok')).toBe('Zoë 👩‍💻 ok');
    expect(isStorableText('\uD83D\uDE00')).toBe(true);
    for (const bad of ['\uD83D', 'a\uDE00', '\uDE00\uD83D', 'x\0y']) {
      expect(isStorableText(bad)).toBe(false);
      const r = text(20).safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/well-formed Unicode/);
    }
  });
});

function prefixed(prefix: string, mod: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(mod).map(([k, v]) => [prefix + k, v]));
}
