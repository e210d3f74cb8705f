import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type UiState, WindowKind } from '../ipc/window-bridge/contract.js';
import { AgentClient } from '../node-lib/agent-socket/client.js';
import type { ConnectAgent } from '../src-main/core/agent-link.js';
import { DesktopCore } from '../src-main/core/desktop-core.js';
import type { LogoutPort } from '../src-main/core/logout-port.js';
import type { ReconnectDelays } from '../src-main/core/reconnect-delay.js';
import {
  type CspDirectives,
  cspMetaTag,
  RENDERER_CSP,
  RENDERER_MIME_TYPES,
  serializeCsp,
} from '../src-main/renderer-policy.js';
import { RecordingShell } from './recording-shell.js';

/**
 * The desktop app without Electron: the real DesktopCore, connected to a real agent socket, with its
 * windows served to a browser. `npm start -- --web` and the Playwright tests both run it. The page at
 * `url` is a simulated desktop (tray, menu, notifications, windows as frames); each window is also
 * reachable alone at `windowUrl(kind)`.
 */
export interface StartWebDesktopOptions {
  /** The agent's Unix socket. */
  socketPath: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Which platform the UI behaves as (menu items, log-out prompt). Defaults to this machine's. */
  platform?: UiState['app']['platform'];
  /** False simulates GNOME without AppIndicator: the core opens windows itself. Default true. */
  hasTray?: boolean;
  /** How "Log out now" is carried out. Default: recorded in `logoutRequests` (a browser cannot log out). */
  logout?: LogoutPort;
  /** Replaces the socket connection (tests of the harness itself). */
  connect?: ConnectAgent;
  reconnect?: ReconnectDelays;
  /** Built renderer; default <package>/dist/renderer (run `npm run build` first). */
  rendererDir?: string;
}

export interface WebDesktop {
  /** The simulated desktop page. */
  url: string;
  windowUrl(kind: WindowKind): string;
  /** Everything the core asked the shell to do, and the simulated user's hands (click menu, notification). */
  shellEvents: RecordingShell;
  core: DesktopCore;
  /** Times (ms since epoch) the user clicked "Log out now", when no `logout` port was given. */
  logoutRequests: number[];
  /** Open event streams, i.e. pages still attached to the core (0 once every window is closed). */
  liveStreams(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
const SESSION_COOKIE = 'escrow_harness';

function hasSessionCookie(req: http.IncomingMessage, key: string): boolean {
  const match = (req.headers.cookie ?? '').match(new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]+)`));
  const presented = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(key);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/**
 * The app's renderer policy (src-main/renderer-policy.ts), relaxed only where the harness stands in for
 * Electron: the bridge reaches the core over same-origin fetch and an event stream instead of IPC, and the
 * simulated desktop shows each window as a same-origin frame.
 */
export const HARNESS_WINDOW_CSP: CspDirectives = {
  ...RENDERER_CSP,
  'connect-src': ["'self'"],
  'frame-ancestors': ["'self'"],
};
/** The simulated desktop page itself, which holds those frames. */
export const HARNESS_DESKTOP_CSP: CspDirectives = { ...HARNESS_WINDOW_CSP, 'frame-src': ["'self'"] };
const CSP = serializeCsp(HARNESS_WINDOW_CSP);
const DESKTOP_CSP = serializeCsp(HARNESS_DESKTOP_CSP);

const ShellMenuBody = z
  .object({ command: z.enum(['create-recovery-key', 'log-out', 'my-device', 'about']) })
  .strict();
const ShellNoticeBody = z.object({ id: z.number().int().min(1) }).strict();
const ShellCloseBody = z.object({ kind: WindowKind }).strict();

export async function startWebDesktop(options: StartWebDesktopOptions): Promise<WebDesktop> {
  const root = packageRoot();
  const rendererDir = options.rendererDir ?? path.join(root, 'dist', 'renderer');
  const iconsDir = path.join(root, 'assets', 'icons');
  // The simulated desktop page and the bridge, built apart from the app (web-harness/vite.config.ts).
  const pageDir = path.join(root, 'dist', 'web-harness', 'page');
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`no built renderer in ${rendererDir}: run \`npm run build\` first`);
  }
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  // Read once: the built page does not change while the harness runs.
  const indexHtml = withHarnessPolicy(await readFile(path.join(rendererDir, 'index.html'), 'utf8'));
  const bridgeScript = builtBridge(pageDir);
  const logoutRequests: number[] = [];
  const shell = new RecordingShell(options.hasTray ?? true);
  const core = new DesktopCore({
    shell,
    connect:
      options.connect ??
      (() =>
        AgentClient.connect({
          socketPath: options.socketPath,
          clientName: 'desktop',
          clientVersion: version,
        })),
    logout: options.logout ?? {
      async logOut() {
        logoutRequests.push(Date.now());
      },
    },
    appVersion: version,
    platform: options.platform ?? hostPlatform(),
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
  });
  shell.attach(core);

  const streams = new Set<http.ServerResponse>();
  // The harness acts with its user's agent token, so only that user's browser may drive it: the printed
  // URL carries a per-run key, the page turns it into an HttpOnly cookie, and every /api call needs it
  // (another local account reaching this loopback port gets 401).
  const sessionKey = randomBytes(24).toString('base64url');
  let origin = '';
  let allowedHosts: string[] = [];

  const server = http.createServer((req, res) => {
    void route(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.end();
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Loopback only, and only our own pages may post: blocks DNS rebinding and cross-site form posts.
    const host = req.headers.host ?? '';
    if (!allowedHosts.includes(host)) return send(res, 421, 'text/plain; charset=utf-8', 'wrong host');
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/api/') && !hasSessionCookie(req, sessionKey)) {
      return send(res, 401, 'text/plain; charset=utf-8', 'open the URL the harness printed');
    }
    if (url.searchParams.get('key') === sessionKey) {
      res.setHeader('set-cookie', `${SESSION_COOKIE}=${sessionKey}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (req.method === 'POST') {
      const reqOrigin = req.headers.origin;
      if ((reqOrigin !== undefined && reqOrigin !== `http://${host}`) || !isJson(req)) {
        return send(res, 403, 'text/plain; charset=utf-8', 'forbidden');
      }
      const body = await readJson(req);
      if (body === undefined) return send(res, 400, 'text/plain; charset=utf-8', 'bad body');
      return post(url, body, res);
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/web/desktop.html' }).end();
      return;
    }
    if (url.pathname === '/api/events') {
      const kind = WindowKind.safeParse(url.searchParams.get('window'));
      if (!kind.success) return send(res, 400, 'text/plain; charset=utf-8', 'unknown window');
      const stop = core.subscribe((state) => sse(res, 'state', state));
      openStream(res, () => stop());
      sse(res, 'state', core.getState());
      return;
    }
    if (url.pathname === '/api/shell/events') {
      const stop = shell.onChange((snap) => sse(res, 'shell', snap));
      openStream(res, () => stop());
      sse(res, 'shell', shell.snapshot());
      return;
    }
    if (url.pathname.startsWith('/icons/'))
      return serveFile(res, iconsDir, url.pathname.slice('/icons/'.length));
    if (url.pathname === '/index.html') {
      // The bridge must define window.escrow before the app's script runs: a deferred script placed before
      // the app's (also deferred) runs first, as deferred scripts run in document order, without blocking
      // parsing. The current state travels in the page as inert JSON (a data block: nothing runs, so the
      // CSP needs no exception), as Electron's preload has it before the page's scripts run: the window
      // can show it at its first render instead of after a round trip on the event stream.
      // The state is the agent's view of this device: only the browser holding the key gets it, as for /api.
      const mayRead = hasSessionCookie(req, sessionKey) || url.searchParams.get('key') === sessionKey;
      const state = mayRead ? initialStateBlock(core.getState()) : '';
      const withBridge = indexHtml.replace(
        '<script ',
        `${state}<script defer src="./${bridgeScript}"></script><script `,
      );
      return send(res, 200, RENDERER_MIME_TYPES['.html'] as string, withBridge);
    }
    // Built assets and the bridge carry a content hash in their names: a new window reads them from the
    // browser's cache instead of asking this server (the bridge was on the way to the first render).
    const relative = url.pathname.slice(1);
    const hashed = relative.startsWith('assets/') || relative === bridgeScript;
    if (relative.startsWith('web/'))
      return serveFile(res, pageDir, relative.slice('web/'.length), hashed, DESKTOP_CSP);
    return serveFile(res, rendererDir, relative, hashed);
  }

  async function post(url: URL, body: unknown, res: http.ServerResponse): Promise<void> {
    if (url.pathname === '/api/invoke') {
      const kind = WindowKind.safeParse(url.searchParams.get('window'));
      if (!kind.success) return send(res, 400, 'text/plain; charset=utf-8', 'unknown window');
      return json(res, await core.handleRequest(kind.data, body));
    }
    if (url.pathname === '/api/shell/menu') {
      const b = ShellMenuBody.safeParse(body);
      return json(res, { ok: b.success && shell.clickMenu(b.data.command) });
    }
    if (url.pathname === '/api/shell/notification') {
      const b = ShellNoticeBody.safeParse(body);
      return json(res, { ok: b.success && shell.clickNotification(b.data.id) });
    }
    if (url.pathname === '/api/shell/window-closed') {
      const b = ShellCloseBody.safeParse(body);
      return json(res, { ok: b.success && shell.closeByUser(b.data.kind) });
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found');
  }

  function openStream(res: http.ServerResponse, onClose: () => void): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    streams.add(res);
    res.on('close', () => {
      streams.delete(res);
      onClose();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  core.start();

  return {
    url: `${origin}/web/desktop.html?key=${sessionKey}`,
    windowUrl: (kind) => `${origin}/index.html?key=${sessionKey}#${kind}`,
    shellEvents: shell,
    core,
    logoutRequests,
    liveStreams: () => streams.size,
    async close() {
      core.stop();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The built bridge script (its name carries a content hash), as the page's URL path names it. */
function builtBridge(pageDir: string): string {
  const name = existsSync(pageDir) && readdirSync(pageDir).find((f) => /^bridge-[\w-]+\.js$/.test(f));
  if (!name) throw new Error(`no web bridge in ${pageDir}: run \`npm run build\` first`);
  return `web/${name}`;
}

/**
 * The built page with the harness's policy in its meta tag. The page's own tag is the app's policy, which
 * (rightly) lets the page connect nowhere; a page built from another policy is refused rather than served
 * with a CSP nobody wrote down.
 */
function withHarnessPolicy(html: string): string {
  const built = cspMetaTag(RENDERER_CSP);
  if (!html.includes(built)) {
    throw new Error(
      "the built renderer's CSP is not the one in src-main/renderer-policy.ts: run `npm run build`",
    );
  }
  return html.replace(built, cspMetaTag(HARNESS_WINDOW_CSP));
}

/** The id the web bridge reads the embedded state from (web-harness/page/bridge.ts). */
const INITIAL_STATE_ID = 'escrow-initial-state';

/**
 * State as a JSON data block. Every `<` is escaped, so no string in the state (an organization's contact,
 * an agent's message) can close the element or open another one.
 */
function initialStateBlock(state: UiState): string {
  const json = JSON.stringify(state).replace(/</g, '\\u003c');
  return `<script type="application/json" id="${INITIAL_STATE_ID}">${json}</script>`;
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  csp = CSP,
  cache = 'no-store',
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': cache,
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** `hashed`: the file's name carries a hash of its content, so a browser may keep it for good. */
async function serveFile(
  res: http.ServerResponse,
  dir: string,
  relative: string,
  hashed = false,
  csp = CSP,
): Promise<void> {
  const file = path.resolve(dir, decodeURIComponent(relative));
  const type = RENDERER_MIME_TYPES[path.extname(file)];
  // Only files inside dir, only the kinds of file a renderer has.
  if (!file.startsWith(dir + path.sep) || !type)
    return send(res, 404, 'text/plain; charset=utf-8', 'not found');
  try {
    const cache = hashed ? 'public, max-age=31536000, immutable' : 'no-store';
    send(res, 200, type, await readFile(file), csp, cache);
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found');
  }
}

function isJson(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim() === 'application/json';
}

/** undefined for a body that is too large or not JSON. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  } finally {
    // The body may hold a passphrase.
    raw.fill(0);
    for (const c of chunks) c.fill(0);
  }
}

function hostPlatform(): UiState['app']['platform'] {
  return process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
}

/** The checkout (or installed package) root, found from this file whether it runs from src-main or dist. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src-main'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the escrow-desktop package root');
    dir = up;
  }
}
