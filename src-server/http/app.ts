import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { ADMIN_API_BASE } from '../../ipc/admin/common.js';
import { registerSelfServicePages } from '../sso/register.js';
import { adminError } from './admin/errors.js';
import { registerAdminRoutes } from './admin/index.js';
import { registerAgentRoutes } from './agent-routes.js';
import {
  type ConnectionLimits,
  connectionLimits,
  fastifyTimeouts,
  guardConnections,
  nodeServerOptions,
} from './connection-guard.js';
import { registerConsole } from './console.js';
import type { ServerContext } from './context.js';
import { declaredOversize, lingerOnClose, refuseOversizeBeforeContinue } from './oversize-bodies.js';
import { securityHeaders } from './security-headers.js';
import { sendError } from './validate.js';

/** Largest request body: the biggest legitimate one is a key envelope of a few kilobytes. */
export const BODY_LIMIT_BYTES = 128 * 1024;

/**
 * Fastify rather than bare node:http: it brings a body-size limit, prototype-poisoning-safe JSON parsing,
 * content-type checks, HTTPS and graceful close, which we would otherwise write and test ourselves; its
 * routing is fast enough for thousands of check-ins per second. Validation stays ours (zod), so the
 * contract in ipc/ is the single source of truth.
 */
export function buildApp(
  ctx: ServerContext,
  https: { key: Buffer; cert: Buffer } | null,
  limits: ConnectionLimits = connectionLimits(),
  /**
   * Load balancers whose X-Forwarded-For is believed (addresses or CIDRs): behind one, the client's address
   * (per-address rate limits, audit details) is the one it forwards. None by default: the header is ignored.
   */
  trustedProxies: readonly string[] = [],
): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.log,
    // One log line per request at thousands per second is noise; handlers log the events that matter.
    logController: new LogController({ disableRequestLogging: true }),
    // A pino child per request (with its redaction set up again) cost more than our whole check-in handler;
    // the one place that logs per request (the 500 handler below) names the request id itself.
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT_BYTES,
    ...(trustedProxies.length ? { trustProxy: [...trustedProxies] } : {}),
    return503OnClosing: true,
    // At shutdown every held long-poll has already been answered (waiters.releaseAll); a connection still
    // open then belongs to a client that stopped listening, and must not hold the shutdown for the 72 s
    // keep-alive timeout.
    forceCloseConnections: true,
    // Header, body, keep-alive and idle time are all bounded (connection-guard.ts).
    ...fastifyTimeouts(limits),
    ...(https ? { https: { ...https, ...nodeServerOptions(limits) } } : { http: nodeServerOptions(limits) }),
  }) as unknown as FastifyInstance;

  // The usual headers on every answer, whichever route (or none) answers it; one precomputed object.
  const headers = securityHeaders(https !== null);
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(headers);
    done();
  });

  // Every body we accept is JSON; fastify's built-in text/plain parser would only turn mistakes into
  // confusing schema errors.
  app.removeContentTypeParser('text/plain');

  // Admin answers carry a code for the console (ipc/admin/common.ts); the agent API keeps Fleet's shape.
  const fail = (req: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    req.url.startsWith(`${ADMIN_API_BASE}/`)
      ? adminError(
          reply,
          status,
          status === 404 ? 'not_found' : status >= 500 ? 'internal' : 'invalid_request',
          message,
        )
      : sendError(reply, status, message);

  // Connections per client and in all; a body declared over the limit gets its 413 instead of a 100
  // Continue, and every 413 is read by the client before the connection closes (oversize-bodies.ts).
  const guard = guardConnections(app.server, limits, ctx.log);
  app.addHook('onClose', async () => guard.stop());
  refuseOversizeBeforeContinue(app.server, BODY_LIMIT_BYTES);
  app.addHook('onRequest', (req, reply, done) => {
    if (!declaredOversize(req.raw, BODY_LIMIT_BYTES)) return done();
    lingerOnClose(req.raw.socket);
    void reply.header('connection', 'close');
    fail(req, reply, 413, `request body is larger than ${BODY_LIMIT_BYTES} bytes`);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    // Parser messages can quote the body (a key envelope, a secret): answer and log our own words only.
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        lingerOnClose(req.raw.socket);
        return fail(req, reply, 413, `request body is larger than ${BODY_LIMIT_BYTES} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return fail(req, reply, 415, 'send the body as application/json');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return fail(req, reply, 400, 'the request body is empty; send a JSON object');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return fail(req, reply, 400, 'the request body is not valid JSON');
    }
    if (err.statusCode === 400 || err instanceof SyntaxError) {
      return fail(req, reply, 400, 'the request body is not valid JSON');
    }
    req.log.error(
      { req_id: req.id, code: err.code, name: err.name, route: req.routeOptions.url },
      'request failed',
    );
    return fail(req, reply, 500, 'internal error');
  });
  app.setNotFoundHandler((req, reply) => fail(req, reply, 404, 'not found'));

  // Every registered route, for the authorization test (a route without a rule must fail it).
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  app.decorate('registeredRoutes', routes);

  registerAgentRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerConsole(app, ctx);
  registerSelfServicePages(app, ctx);
  return app;
}
