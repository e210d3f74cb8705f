import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import { CONTENT_SECURITY_POLICY, RENDERER_MIME_TYPES } from '../renderer-policy.js';

/**
 * Serves the built renderer as app://renderer/…, from files inside the app only. A privileged standard
 * scheme (not file://) gives the pages a real origin, so module scripts load and the CSP applies; the
 * handler refuses any path outside the renderer directory and any other host.
 */
export const APP_SCHEME = 'app';

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // codeCache lets V8 keep the renderer's compiled code between windows (Electron leaves it off for
      // custom schemes unless asked), so each new window starts faster.
      privileges: {
        standard: true,
        secure: true,
        codeCache: true,
        supportFetchAPI: false,
        corsEnabled: false,
      },
    },
  ]);
}

export function serveRenderer(protocol: Protocol, rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
    const type = RENDERER_MIME_TYPES[path.extname(file)];
    const inside = file.startsWith(root + path.sep);
    // web/ is where the browser harness serves its own page and bridge; the app has no such files and
    // refuses the path outright.
    const harnessOnly = path.relative(root, file).split(path.sep)[0] === 'web';
    if (url.host !== 'renderer' || !inside || harnessOnly || !type) {
      return new Response('not found', { status: 404 });
    }
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'content-type': type,
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
