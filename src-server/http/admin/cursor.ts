import type { HostOrderKey } from '../../../ipc/admin/hosts.js';
import type { HostKeyset, HostView } from '../../storage/records.js';
import { orderValue } from '../../storage/sql/host-queries.js';

/**
 * Keyset cursors: base64url JSON of where the last page ended (and, for hosts, in which order). Opaque to
 * clients; checked on the way back so a cursor from another order or a forged one is a 400, not a wrong page.
 */
const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

export function hostCursor(order: { key: HostOrderKey; direction: 'asc' | 'desc' }, last: HostView): string {
  return encode({ k: order.key, d: order.direction, v: orderValue(last, order.key), id: last.host.id });
}

export function readHostCursor(
  cursor: string,
  order: { key: HostOrderKey; direction: 'asc' | 'desc' },
): HostKeyset | null {
  const c = decode(cursor) as { k?: unknown; d?: unknown; v?: unknown; id?: unknown } | null;
  if (!c || c.k !== order.key || c.d !== order.direction) return null;
  if (!Number.isInteger(c.id) || (c.id as number) < 0) return null;
  const v = c.v;
  const ok = order.key === 'id' ? Number.isInteger(v) : typeof v === 'string' && v.length <= 1024;
  return ok ? { value: v as string | number, id: c.id as number } : null;
}

/** Cursors of lists in id order (activities: newest first; needs attention: oldest host first). */
export const idCursor = (id: number) => encode({ id });
export function readIdCursor(cursor: string): number | null {
  const c = decode(cursor) as { id?: unknown } | null;
  return c && Number.isInteger(c.id) && (c.id as number) >= 0 ? (c.id as number) : null;
}
