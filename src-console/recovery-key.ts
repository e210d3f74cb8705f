/**
 * Recovery keys grouped the way people type them at a boot prompt, so an admin reading one out over the
 * phone and the user typing it see the same chunks:
 * - LUKS (our agent's keys): 8 groups of 8 modhex characters, `cbdefghi-jklnrtuv-…`;
 * - BitLocker: 8 groups of 6 digits;
 * - FileVault personal recovery key: groups of 4 letters and digits, `ABCD-EFGH-…`.
 * The server says which kind a key is. A key of any other shape is shown exactly as stored: a regrouped wrong key would be worse than an
 * ungrouped one.
 */
import type { KeyKind } from './api/types.js';

const SHAPES: Record<KeyKind, { group: number; groups: number; chars: RegExp }> = {
  luks: { group: 8, groups: 8, chars: /^[cbdefghijklnrtuv]+$/ },
  bitlocker: { group: 6, groups: 8, chars: /^[0-9]+$/ },
  filevault: { group: 4, groups: 6, chars: /^[A-Z0-9]+$/ },
};

/** The key's groups; a single group (the key as stored) when it does not have its platform's shape. */
export function keyGroups(key: string, kind: KeyKind | null): string[] {
  if (!kind) return [key];
  const shape = SHAPES[kind];
  const bare = key.replace(/[\s-]/g, '');
  const normal = kind === 'luks' ? bare.toLowerCase() : kind === 'filevault' ? bare.toUpperCase() : bare;
  if (normal.length !== shape.group * shape.groups || !shape.chars.test(normal)) return [key];
  const out: string[] = [];
  for (let i = 0; i < normal.length; i += shape.group) out.push(normal.slice(i, i + shape.group));
  return out;
}

/** What Copy puts on the clipboard: the groups joined by hyphens, which every prompt accepts as typed. */
export function keyAsTyped(key: string, kind: KeyKind | null): string {
  return keyGroups(key, kind).join('-');
}
