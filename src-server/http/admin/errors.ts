import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { AdminError, ErrorCode } from '../../../ipc/admin/common.js';

/** Admin answers that are not 2xx: plain words for people and a code for the console (ipc/admin). */
export function adminError(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  error: string,
  details?: AdminError['details'],
): void {
  const body: AdminError = { error, code, ...(details ? { details } : {}) };
  void reply.code(status).send(body);
}

/**
 * Parses a query string or body with its contract schema; on failure answers 400 with every problem and its
 * path, and returns null. A search text over the limit gets its own code (`query_too_long`).
 */
export function parseAdmin<S extends z.ZodType>(
  schema: S,
  input: unknown,
  reply: FastifyReply,
): z.infer<S> | null {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = details[0];
  const tooLong = r.error.issues.some((i) => i.path[0] === 'query' && i.code === 'too_big');
  adminError(
    reply,
    400,
    tooLong ? 'query_too_long' : 'invalid_request',
    first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid request',
    details,
  );
  return null;
}

export const notFound = (reply: FastifyReply, what: string) =>
  adminError(reply, 404, 'not_found', `${what} not found`);
