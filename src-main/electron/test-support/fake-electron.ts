import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/**
 * A fake `electron` module: just enough of it to watch what our code asks Electron to do (the real binary
 * cannot run here). Tests install it with `vi.mock('electron', () => import('.../fake-electron.js'))` and
 * import the same module to look at what was made.
 */

export class FakeWebContents extends EventEmitter {
  mainFrame = { url: '' };
  windowOpenHandler: ((d: unknown) => unknown) | null = null;
  send = vi.fn();
  /** The page's answer to fit-window's height question. */
  executeJavaScript = vi.fn(async (_code: string) => 300 as unknown);
  setWindowOpenHandler(h: (d: unknown) => unknown) {
    this.windowOpenHandler = h;
  }
}

export class BrowserWindow extends EventEmitter {
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
  setContentSize = vi.fn();
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

export class Tray {
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

export class Notification extends EventEmitter {
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

export const Menu = { buildFromTemplate: (template: unknown[]) => ({ template }) };
export const nativeTheme = { shouldUseDarkColors: false };
export const shell = { openExternal: vi.fn(async () => {}) };

/** What the entry point did to `app` and `protocol` while loading, in order (kept across tests). */
export const startup: string[] = [];

export const app = {
  enableSandbox: vi.fn(() => startup.push('app.enableSandbox')),
  requestSingleInstanceLock: vi.fn(() => {
    startup.push('app.requestSingleInstanceLock');
    return true;
  }),
  quit: vi.fn(),
  on: vi.fn((event: string) => startup.push(`app.on ${event}`)),
  // Never ready: what the entry point does once ready needs the real Electron.
  whenReady: vi.fn(() => {
    startup.push('app.whenReady');
    return new Promise<void>(() => {});
  }),
};
export const protocol = {
  registerSchemesAsPrivileged: vi.fn(() => startup.push('protocol.registerSchemesAsPrivileged')),
  handle: vi.fn(),
};
export const session = { defaultSession: {} };
export const ipcMain = { handle: vi.fn(), removeHandler: vi.fn() };

/** Forgets every window, tray and notification made so far. */
export function resetFakeElectron(): void {
  BrowserWindow.created.length = 0;
  Tray.created.length = 0;
  Notification.shown.length = 0;
  shell.openExternal.mockClear();
}
