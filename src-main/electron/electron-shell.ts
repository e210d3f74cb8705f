import {
  type BrowserWindow,
  Menu,
  type MenuItemConstructorOptions,
  Notification,
  nativeTheme,
  shell,
  Tray,
  type WebContents,
} from 'electron';
import type { WindowKind } from '../../ipc/window-bridge/contract.js';
import type {
  MenuItem,
  Notice,
  NoticeTag,
  ShellEvents,
  ShellPort,
  TrayModel,
  WindowOptions,
} from '../shell/port.js';
import { fitToContent } from './fit-window.js';
import { APP_ORIGIN, createSecureWindow } from './security.js';
import { trayIconFile } from './tray-support.js';

export interface ElectronShellOptions {
  preloadPath: string;
  iconsDir: string;
  platform: NodeJS.Platform;
  hasTray: boolean;
}

/** Each kind's width and largest height (content size); it opens as tall as its page needs (fit-window.ts). */
const SIZES: Record<WindowKind, { width: number; height: number }> = {
  passphrase: { width: 560, height: 520 },
  'my-device': { width: 700, height: 720 },
  logout: { width: 560, height: 560 },
  about: { width: 420, height: 380 },
  'new-passphrase': { width: 580, height: 680 },
};

/**
 * The ShellPort in Electron terms. Windows are created when asked and destroyed when closed, so no
 * renderer process lives while no window is open; the tray is the only thing always there.
 */
export class ElectronShell implements ShellPort {
  readonly hasTray: boolean;
  private tray: Tray | null = null;
  private readonly windows = new Map<WindowKind, BrowserWindow>();
  /** Windows the core closed itself: their 'closed' event is not a user action to report back. */
  private readonly closingByCore = new Set<BrowserWindow>();
  /** Shown notices by tag; held here also because Electron drops a collected Notification's click handler. */
  private readonly notices = new Map<NoticeTag, Notification>();
  private events: ShellEvents | null = null;

  constructor(private readonly opts: ElectronShellOptions) {
    this.hasTray = opts.hasTray;
  }

  attach(events: ShellEvents): void {
    this.events = events;
  }

  setTray(model: TrayModel): void {
    if (!this.hasTray) return;
    const icon = trayIconFile(this.opts.iconsDir, model.icon, this.opts.platform);
    if (!this.tray) this.tray = new Tray(icon);
    else this.tray.setImage(icon);
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((m) => this.menuItem(m))));
  }

  openWindow(kind: WindowKind, options: WindowOptions = {}): void {
    const mustAct = options.mustAct ?? false;
    const existing = this.windows.get(kind);
    if (existing) {
      existing.setAlwaysOnTop(mustAct, 'floating');
      existing.setClosable(!mustAct);
      existing.show();
      existing.focus();
      return;
    }
    const win = createSecureWindow(this.opts.preloadPath, {
      ...SIZES[kind],
      useContentSize: true,
      show: false,
      resizable: kind === 'my-device',
      maximizable: false,
      fullscreenable: false,
      minimizable: !mustAct,
      closable: !mustAct,
      alwaysOnTop: mustAct,
      autoHideMenuBar: true,
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#1e1e20' : '#f6f6f7',
    });
    this.windows.set(kind, win);
    win.setMenu(null);
    // The title is the page's own (document.title, the human one), which Electron follows by default.
    win.once('ready-to-show', () => {
      void fitToContent(win, SIZES[kind]).finally(() => {
        if (!win.isDestroyed()) win.show();
      });
    });
    win.on('closed', () => {
      this.windows.delete(kind);
      const byCore = this.closingByCore.delete(win);
      if (!byCore) this.events?.onWindowClosed(kind);
    });
    void win.loadURL(`${APP_ORIGIN}/index.html#${kind}`);
  }

  closeWindow(kind: WindowKind): void {
    const win = this.windows.get(kind);
    if (!win) return;
    this.closingByCore.add(win);
    // destroy(), not close(): a must-act window refuses close(), and the renderer must go away now.
    win.destroy();
  }

  notify(notice: Notice): void {
    if (!Notification.isSupported()) return;
    this.withdraw(notice.tag);
    const n = new Notification({ title: notice.title, body: notice.body });
    this.notices.set(notice.tag, n);
    const forget = () => {
      if (this.notices.get(notice.tag) === n) this.notices.delete(notice.tag);
    };
    n.on('click', () => {
      forget();
      notice.onClick();
    });
    n.on('close', forget);
    n.show();
  }

  withdraw(tag: NoticeTag): void {
    const n = this.notices.get(tag);
    this.notices.delete(tag);
    n?.close();
  }

  openExternal(url: string): void {
    if (/^(https:\/\/|mailto:)/i.test(url)) void shell.openExternal(url);
  }

  /** Which of our windows owns these web contents (for IPC sender checks), or null. */
  kindOf(contents: WebContents): WindowKind | null {
    for (const [kind, win] of this.windows)
      if (!win.isDestroyed() && win.webContents === contents) return kind;
    return null;
  }

  /** Push to every open window. */
  broadcast(channel: string, payload: unknown): void {
    for (const win of this.windows.values()) if (!win.isDestroyed()) win.webContents.send(channel, payload);
  }

  private menuItem(m: MenuItem): MenuItemConstructorOptions {
    if (m.kind === 'separator') return { type: 'separator' };
    if (m.kind === 'command') return { label: m.label, click: () => this.events?.onMenuCommand(m.command) };
    return { label: m.label, enabled: false };
  }
}
