import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_PATH } from '../../ipc/admin/paths.js';
import type { ServerContext } from './context.js';
import { CONSOLE_CSP } from './security-headers.js';
import { sendError } from './validate.js';

/** dist/console of this checkout or install, from the built server (dist/src-server) or its source. */
export function defaultConsoleDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes(`${sep}dist${sep}src-server${sep}`)
    ? resolve(here, '../../..')
    : resolve(here, '../..');
  return join(root, 'dist', 'console');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT =
  'The admin console was not built: dist/console is missing on this server. ' +
  'Build it with `npm run build` (or deploy dist/console) and reload. The admin API works without it.\n';

/** What the path under /admin/ names: a relative file path, or null when it could name anything outside. */
export function consoleRelativePath(url: string): string | null {
  const path = url.slice(CONSOLE_PATH.length).split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.startsWith('/')) return null;
  if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  return decoded;
}

/**
 * The built console (a single-page app) at /admin/ on the server's own listener: files from dist/console,
 * index.html for every other /admin/ path (client-side routes), nothing outside dist/console (encoded
 * dots, backslashes and symlinks out are refused). Hashed assets are cached for good; the page never.
 */
export function registerConsole(app: FastifyInstance, ctx: ServerContext): void {
  const root = resolve(ctx.consoleDir);

  async function send(reply: FastifyReply, file: string) {
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const immutable = file.startsWith(join(root, 'assets') + sep);
    return reply
      .header('content-type', type)
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(createReadStream(file));
  }

  /** The real path of a regular file inside the console directory, or null. */
  async function inside(file: string): Promise<string | null> {
    try {
      const [real, realRoot] = await Promise.all([realpath(file), realpath(root)]);
      if (!real.startsWith(realRoot + sep)) return null;
      return (await stat(real)).isFile() ? real : null;
    } catch {
      return null;
    }
  }

  app.get(CONSOLE_PATH.slice(0, -1), (_req, reply) => reply.redirect(CONSOLE_PATH, 301));
  app.get(`${CONSOLE_PATH}*`, async (req: FastifyRequest, reply: FastifyReply) => {
    const rel = consoleRelativePath(req.url);
    if (rel === null) return sendError(reply, 400, 'bad path');
    const index = await inside(join(root, 'index.html'));
    if (!index) {
      return reply.code(503).header('content-type', 'text/plain; charset=utf-8').send(NOT_BUILT);
    }
    if (rel !== '') {
      const file = await inside(resolve(root, rel));
      if (file) return send(reply, file);
      // A missing file with an extension is a missing asset, not a page of the app.
      if (extname(rel) !== '') return sendError(reply, 404, 'not found');
    }
    return send(reply, index);
  });
}
