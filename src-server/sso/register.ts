import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../http/context.js';
import { registerLinkRoutes } from '../portal/link-routes.js';
import { registerPortalRoutes } from '../portal/routes.js';
import { registerSsoRoutes } from './routes.js';

/** Form posts of the pages: small, and parsed only for these routes (the API takes JSON only). */
const FORM_LIMIT_BYTES = 16 * 1024;

/** Single sign-on, the link page and the portal, with their own form parser (not the API's). */
export function registerSelfServicePages(app: FastifyInstance, ctx: ServerContext): void {
  const sc = ctx.selfService;
  // The password switch is a hook on the API's sign-in, so it lives on the root instance.
  registerSsoRoutes(app, ctx, sc, 'hooks');
  void app.register(async (pages) => {
    pages.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES },
      (_req, body, done) => {
        const out: Record<string, string> = {};
        for (const [k, v] of new URLSearchParams(body as string)) if (!(k in out)) out[k] = v;
        done(null, out);
      },
    );
    registerSsoRoutes(pages, ctx, sc, 'routes');
    registerPortalRoutes(pages, ctx, sc);
    registerLinkRoutes(pages, ctx, sc);
  });
}
