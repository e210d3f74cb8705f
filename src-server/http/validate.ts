import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { ErrorResponse } from '../../ipc/agent-server/orbit-api.js';

/** Parses input with a schema; on failure answers 400 with every problem and its path, and returns null. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  input: unknown,
  reply: FastifyReply,
): z.infer<S> | null {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = details[0];
  const body: ErrorResponse = {
    error: first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid request',
    details,
  };
  void reply.code(400).send(body);
  return null;
}

export function sendError(reply: FastifyReply, code: number, error: string): void {
  const body: ErrorResponse = { error };
  void reply.code(code).send(body);
}
