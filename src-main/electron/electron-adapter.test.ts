import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IpcMain, IpcMainInvokeEvent, Protocol, Session, WebContents } from 'electron';
import * as electron from 'electron';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Channels } from '../../ipc/window-bridge/channels.js';
import type { DesktopCore } from '../core/desktop-core.js';
import type { ShellEvents } from '../shell/port.js';
import { serveRenderer } from './app-protocol.js';
import { ElectronShell } from './electron-shell.js';
import { connectIpc } from './ipc.js';
import { CONTENT_SECURITY_POLICY, isTrustedSender, lockDownSession } from './security.js';
import { trayIconFile, trayLikelyVisible } from './tray-support.js';

// A fake `electron` module: just enough of BrowserWindow, Tray, Menu, Notification and shell to watch what
// the adapter asks Electron to do. The real binary cannot run here.
vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeWebContents extends EventEmitter {
    mainFrame = { url: '' };
    windowOpenHandler: ((d: unknown) => unknown) | null = null;
    send = vi.fn();
    setWindowOpenHandler(h: (d: unknown) => unknown) {
      this.windowOpenHandler = h;
    }
  }
  class BrowserWindow extends EventEmitter {
    static created: BrowserWindow[] = [];
    webContents = new FakeWebContents();
    destroyed = false;
    loadURL = vi.fn(async (url: string) => {
      this.webContents.mainFrame.url = url;
    });
    setMenu = vi.fn();
    show = vi.fn();
    focus = vi.fn();
    setAlwaysOnTop = vi.fn();
    setClosable = vi.fn();
    constructor(readonly options: Record<string, unknown>) {
      super();
      BrowserWindow.created.push(this);
    }
    isDestroyed() {
      return this.destroyed;
    }
    destroy() {
      this.destroyed = true;
      this.emit('closed');
    }
  }
  class Tray {
    static created: Tray[] = [];
    image: string;
    tooltip = '';
    menu: { template: Record<string, unknown>[] } | null = null;
    constructor(image: string) {
      this.image = image;
      Tray.created.push(this);
    }
    setImage(i: string) {
      this.image = i;
    }
    setToolTip(t: string) {
      this.tooltip = t;
    }
    setContextMenu(m: { template: Record<string, unknown>[] }) {
      this.menu = m;
    }
  }
  class Notification extends EventEmitter {
    static shown: Notification[] = [];
    static isSupported = () => true;
    closed = false;
    constructor(readonly options: { title: string; body: string }) {
      super();
    }
    close() {
      this.closed = true;
    }
    show() {
      Notification.shown.push(this);
    }
  }
  return {
    BrowserWindow,
    Tray,
    Notification,
    Menu: { buildFromTemplate: (template: unknown[]) => ({ template }) },
    nativeTheme: { shouldUseDarkColors: false },
    shell: { openExternal: vi.fn(async () => {}) },
  };
});

type FakeWindow = EventEmitter & {
  options: Record<string, unknown>;
  webContents: EventEmitter & {
    mainFrame: { url: string };
    windowOpenHandler: ((d: unknown) => unknown) | null;
    send: ReturnType<typeof vi.fn>;
  };
  loadURL: ReturnType<typeof vi.fn>;
  setAlwaysOnTop: ReturnType<typeof vi.fn>;
  setClosable: ReturnType<typeof vi.fn>;
  show: ReturnType<typeof vi.fn>;
  destroyed: boolean;
};
const fake = electron as unknown as {
  BrowserWindow: { created: FakeWindow[] };
  Tray: {
    created: { image: string; tooltip: string; menu: { template: Record<string, unknown>[] } | null }[];
  };
  Notification: { shown: (EventEmitter & { options: { title: string }; closed: boolean })[] };
  shell: { openExternal: ReturnType<typeof vi.fn> };
};

function newShell(over: Partial<ConstructorParameters<typeof ElectronShell>[0]> = {}) {
  const events: ShellEvents = { onMenuCommand: vi.fn(), onWindowClosed: vi.fn() };
  const shell = new ElectronShell({
    preloadPath: '/app/dist/src-main/preload.cjs',
    iconsDir: '/app/assets/icons',
    platform: 'darwin',
    hasTray: true,
    ...over,
  });
  shell.attach(events);
  return { shell, events };
}

beforeEach(() => {
  fake.BrowserWindow.created.length = 0;
  fake.Tray.created.length = 0;
  fake.Notification.shown.length = 0;
  fake.shell.openExternal.mockClear();
});

describe('ElectronShell windows', () => {
  it('creates each window with the locked-down web preferences and loads our renderer', () => {
    const { shell } = newShell();
    shell.openWindow('passphrase');
    const win = fake.BrowserWindow.created[0] as FakeWindow;
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      disableBlinkFeatures: 'Auxclick',
      preload: '/app/dist/src-main/preload.cjs',
    });
    expect(win.options.show).toBe(false);
    expect(win.loadURL).toHaveBeenCalledWith('app://renderer/index.html#passphrase');
    win.emit('ready-to-show');
    expect(win.show).toHaveBeenCalled();
  });

  it('refuses navigation, redirects, webviews and new windows', () => {
    const { shell } = newShell();
    shell.openWindow('my-device');
    const contents = (fake.BrowserWindow.created[0] as FakeWindow).webContents;
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, 'https://evil.example');
      expect(e.preventDefault, event).toHaveBeenCalled();
    }
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
  });

  it('raises an open window instead of making a second one, and applies must-act', () => {
    const { shell } = newShell();
    shell.openWindow('logout');
    shell.openWindow('logout', { mustAct: true });
    expect(fake.BrowserWindow.created).toHaveLength(1);
    const win = fake.BrowserWindow.created[0] as FakeWindow;
    expect(win.setAlwaysOnTop).toHaveBeenCalledWith(true, 'floating');
    expect(win.setClosable).toHaveBeenCalledWith(false);
  });

  it('creates a must-act window on top and not closable', () => {
    const { shell } = newShell();
    shell.openWindow('logout', { mustAct: true });
    expect((fake.BrowserWindow.created[0] as FakeWindow).options).toMatchObject({
      alwaysOnTop: true,
      closable: false,
    });
  });

  it('destroys windows the core closes (no renderer left) without reporting a user close', () => {
    const { shell, events } = newShell();
    shell.openWindow('about');
    shell.closeWindow('about');
    const win = fake.BrowserWindow.created[0] as FakeWindow;
    expect(win.destroyed).toBe(true);
    expect(shell.kindOf(win.webContents as unknown as WebContents)).toBeNull();
    expect(events.onWindowClosed).not.toHaveBeenCalled();
  });

  it('reports a window the user closed', () => {
    const { shell, events } = newShell();
    shell.openWindow('my-device');
    const win = fake.BrowserWindow.created[0] as FakeWindow;
    expect(shell.kindOf(win.webContents as unknown as WebContents)).toBe('my-device');
    win.emit('closed');
    expect(shell.kindOf(win.webContents as unknown as WebContents)).toBeNull();
    expect(events.onWindowClosed).toHaveBeenCalledWith('my-device');
  });
});

describe('ElectronShell tray, notifications, links', () => {
  it('uses template icons on macOS and turns the menu model into a native menu', () => {
    const { shell, events } = newShell({ platform: 'darwin' });
    shell.setTray({
      icon: 'action_needed',
      tooltip: 'Escrow Desktop — Action needed',
      menu: [
        { kind: 'status', label: 'Action needed' },
        { kind: 'separator' },
        { kind: 'command', command: 'my-device', label: 'My Device' },
      ],
    });
    const tray = fake.Tray.created[0];
    expect(tray?.image).toBe(path.join('/app/assets/icons', 'tray-action_neededTemplate.png'));
    expect(tray?.tooltip).toBe('Escrow Desktop — Action needed');
    const [status, sep, item] = tray?.menu?.template ?? [];
    expect(status).toEqual({ label: 'Action needed', enabled: false });
    expect(sep).toEqual({ type: 'separator' });
    (item as { click: () => void }).click();
    expect(events.onMenuCommand).toHaveBeenCalledWith('my-device');
  });

  it('makes no tray where none would be seen', () => {
    const { shell } = newShell({ hasTray: false });
    shell.setTray({ icon: 'escrowed', tooltip: 't', menu: [] });
    expect(fake.Tray.created).toHaveLength(0);
  });

  it('runs the notification click action', () => {
    const { shell } = newShell();
    const onClick = vi.fn();
    shell.notify({ tag: 'action', title: 'Create a recovery key', body: 'b', onClick });
    fake.Notification.shown[0]?.emit('click');
    expect(onClick).toHaveBeenCalledOnce();
  });

  it('replaces a notice with the same tag and withdraws it on request', () => {
    const { shell } = newShell();
    shell.notify({ tag: 'action', title: 'one', body: 'b', onClick: vi.fn() });
    shell.notify({ tag: 'action', title: 'two', body: 'b', onClick: vi.fn() });
    shell.notify({ tag: 'agent', title: 'agent', body: 'b', onClick: vi.fn() });
    expect(fake.Notification.shown.map((n) => [n.options.title, n.closed])).toEqual([
      ['one', true],
      ['two', false],
      ['agent', false],
    ]);
    shell.withdraw('action');
    expect(fake.Notification.shown[1]?.closed).toBe(true);
    expect(fake.Notification.shown[2]?.closed).toBe(false);
  });

  it('opens only https and mailto links', () => {
    const { shell } = newShell();
    shell.openExternal('javascript:alert(1)');
    shell.openExternal('file:///etc/passwd');
    shell.openExternal('https://help.example.org');
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://help.example.org']]);
  });
});

describe('security helpers', () => {
  it('denies every permission request and check, and forces the CSP on every response', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let check: (() => boolean) | null = null;
    let device: (() => boolean) | null = null;
    let headers:
      | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void)
      | null = null;
    const session = {
      webRequest: {
        onHeadersReceived: (h: typeof headers) => {
          headers = h;
        },
      },
      setPermissionRequestHandler: (h: typeof request) => {
        request = h;
      },
      setPermissionCheckHandler: (h: typeof check) => {
        check = h;
      },
      setDevicePermissionHandler: (h: typeof device) => {
        device = h;
      },
    } as unknown as Session;
    lockDownSession(session);
    const cb = vi.fn();
    (request as unknown as (c: unknown, p: string, cb: (ok: boolean) => void) => void)(null, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect((check as unknown as () => boolean)()).toBe(false);
    expect((device as unknown as () => boolean)()).toBe(false);
    const answer = vi.fn();
    (headers as unknown as (d: unknown, cb: (r: unknown) => void) => void)(
      { responseHeaders: { 'X-Other': ['1'] } },
      answer,
    );
    expect(answer).toHaveBeenCalledWith({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });

  it('trusts only the main frame of our own windows showing app://renderer', () => {
    const ours = { mainFrame: { url: 'app://renderer/index.html#passphrase' } } as unknown as WebContents;
    const foreign = { mainFrame: { url: 'app://renderer/index.html' } } as unknown as WebContents;
    const isOurs = (c: WebContents) => c === ours;
    const event = (sender: WebContents, frame: unknown) =>
      ({ sender, senderFrame: frame }) as unknown as IpcMainInvokeEvent;
    expect(isTrustedSender(event(ours, ours.mainFrame), isOurs)).toBe(true);
    expect(isTrustedSender(event(foreign, foreign.mainFrame), isOurs)).toBe(false);
    expect(isTrustedSender(event(ours, { url: 'app://renderer/index.html' }), isOurs)).toBe(false); // a subframe
    const hijacked = { mainFrame: { url: 'https://evil.example/' } } as unknown as WebContents;
    expect(isTrustedSender(event(hijacked, hijacked.mainFrame), (c) => c === hijacked)).toBe(false);
    expect(isTrustedSender(event(ours, null), isOurs)).toBe(false);
  });

  it('decides tray visibility and icon files per platform', () => {
    expect(trayLikelyVisible('darwin', {})).toBe(true);
    expect(trayLikelyVisible('linux', { XDG_CURRENT_DESKTOP: 'KDE' })).toBe(true);
    expect(trayLikelyVisible('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, () => false, '/home/u')).toBe(
      false,
    );
    expect(
      trayLikelyVisible(
        'linux',
        { XDG_CURRENT_DESKTOP: 'GNOME' },
        (p) => p.endsWith('appindicatorsupport@rgcjonas.gmail.com'),
        '/home/u',
      ),
    ).toBe(true);
    expect(trayIconFile('/i', 'working', 'win32')).toBe(path.join('/i', 'tray-working.ico'));
    expect(trayIconFile('/i', 'working', 'linux')).toBe(path.join('/i', 'tray-working.png'));
  });
});

describe('IPC wiring', () => {
  it('answers our windows through the core and refuses anyone else', async () => {
    const handlers = new Map<string, (e: IpcMainInvokeEvent, p: unknown) => unknown>();
    const ipcMain = {
      handle: (ch: string, h: (e: IpcMainInvokeEvent, p: unknown) => unknown) => handlers.set(ch, h),
      removeHandler: (ch: string) => handlers.delete(ch),
    } as unknown as IpcMain;
    const listeners: ((s: unknown) => void)[] = [];
    const core = {
      handleRequest: vi.fn(async () => ({ ok: true, state: {} })),
      subscribe: (l: (s: unknown) => void) => {
        listeners.push(l);
        return () => {};
      },
    } as unknown as DesktopCore;
    const { shell } = newShell();
    const stop = connectIpc(ipcMain, shell, core);
    shell.openWindow('passphrase');
    const win = fake.BrowserWindow.created[0] as FakeWindow;
    await win.loadURL.mock.results[0]?.value;
    const handler = handlers.get(Channels.invoke);
    const ourEvent = {
      sender: win.webContents,
      senderFrame: win.webContents.mainFrame,
    } as unknown as IpcMainInvokeEvent;
    await handler?.(ourEvent, { type: 'getState' });
    expect(core.handleRequest).toHaveBeenCalledWith('passphrase', { type: 'getState' });

    const stranger = new EventEmitter() as unknown as WebContents & { mainFrame: { url: string } };
    (stranger as { mainFrame: { url: string } }).mainFrame = { url: 'app://renderer/index.html' };
    const refused = (await handler?.(
      { sender: stranger, senderFrame: stranger.mainFrame } as unknown as IpcMainInvokeEvent,
      {
        type: 'logOutNow',
      },
    )) as { ok: boolean };
    expect(refused.ok).toBe(false);
    expect(core.handleRequest).toHaveBeenCalledTimes(1);

    listeners[0]?.({ hello: 1 });
    expect(win.webContents.send).toHaveBeenCalledWith(Channels.state, { hello: 1 });
    stop();
    expect(handlers.size).toBe(0);
  });
});

describe('app:// protocol', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'escrow-renderer-'));
  mkdirSync(path.join(dir, 'web'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(dir, 'web', 'bridge.js'), '//');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves renderer files with the CSP and nothing outside them', async () => {
    let handler: ((r: Request) => Promise<Response>) | null = null;
    const protocol = {
      handle: (_s: string, h: (r: Request) => Promise<Response>) => {
        handler = h;
      },
    } as unknown as Protocol;
    serveRenderer(protocol, dir);
    const get = (url: string) => (handler as unknown as (r: Request) => Promise<Response>)(new Request(url));
    const ok = await get('app://renderer/index.html');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect((await get('app://renderer/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get('app://renderer/web/bridge.js')).status).toBe(404);
    expect((await get('app://elsewhere/index.html')).status).toBe(404);
    expect((await get('app://renderer/missing.js')).status).toBe(404);
  });

  it('has a CSP without inline script, eval or remote sources', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });
});
