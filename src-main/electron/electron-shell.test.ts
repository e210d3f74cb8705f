import path from 'node:path';
import type { WebContents } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrowserWindow,
  shell as electronShell,
  Notification,
  resetFakeElectron,
  Tray,
} from './test-support/fake-electron.js';
import { newShell } from './test-support/new-shell.js';
import { trayIconFile, trayLikelyVisible } from './tray-support.js';

vi.mock('electron', () => import('./test-support/fake-electron.js'));

beforeEach(resetFakeElectron);

describe('ElectronShell windows', () => {
  it('creates each window with the locked-down web preferences and loads our renderer', async () => {
    const { shell } = newShell();
    shell.openWindow('passphrase');
    const win = BrowserWindow.created[0] as BrowserWindow;
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
    // Sized to its content (the page answered 300 px) before it is shown: no empty lower half.
    await vi.waitFor(() => expect(win.show).toHaveBeenCalled());
    expect(win.options.useContentSize).toBe(true);
    expect(win.setContentSize).toHaveBeenCalledWith(560, 300);
    expect(win.setContentSize.mock.invocationCallOrder[0]).toBeLessThan(
      win.show.mock.invocationCallOrder[0] ?? 0,
    );
  });

  it('refuses navigation, redirects, webviews and new windows', () => {
    const { shell } = newShell();
    shell.openWindow('my-device');
    const contents = (BrowserWindow.created[0] as BrowserWindow).webContents;
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
    expect(BrowserWindow.created).toHaveLength(1);
    const win = BrowserWindow.created[0] as BrowserWindow;
    expect(win.setAlwaysOnTop).toHaveBeenCalledWith(true, 'floating');
    expect(win.setClosable).toHaveBeenCalledWith(false);
  });

  it('creates a must-act window on top and not closable', () => {
    const { shell } = newShell();
    shell.openWindow('logout', { mustAct: true });
    expect((BrowserWindow.created[0] as BrowserWindow).options).toMatchObject({
      alwaysOnTop: true,
      closable: false,
    });
  });

  it('destroys windows the core closes (no renderer left) without reporting a user close', () => {
    const { shell, events } = newShell();
    shell.openWindow('about');
    shell.closeWindow('about');
    const win = BrowserWindow.created[0] as BrowserWindow;
    expect(win.destroyed).toBe(true);
    expect(shell.kindOf(win.webContents as unknown as WebContents)).toBeNull();
    expect(events.onWindowClosed).not.toHaveBeenCalled();
  });

  it('reports a window the user closed', () => {
    const { shell, events } = newShell();
    shell.openWindow('my-device');
    const win = BrowserWindow.created[0] as BrowserWindow;
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
    const tray = Tray.created[0];
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
    expect(Tray.created).toHaveLength(0);
  });

  it('runs the notification click action', () => {
    const { shell } = newShell();
    const onClick = vi.fn();
    shell.notify({ tag: 'action', title: 'Create a recovery key', body: 'b', onClick });
    Notification.shown[0]?.emit('click');
    expect(onClick).toHaveBeenCalledOnce();
  });

  it('replaces a notice with the same tag and withdraws it on request', () => {
    const { shell } = newShell();
    shell.notify({ tag: 'action', title: 'one', body: 'b', onClick: vi.fn() });
    shell.notify({ tag: 'action', title: 'two', body: 'b', onClick: vi.fn() });
    shell.notify({ tag: 'agent', title: 'agent', body: 'b', onClick: vi.fn() });
    expect(Notification.shown.map((n) => [n.options.title, n.closed])).toEqual([
      ['one', true],
      ['two', false],
      ['agent', false],
    ]);
    shell.withdraw('action');
    expect(Notification.shown[1]?.closed).toBe(true);
    expect(Notification.shown[2]?.closed).toBe(false);
  });

  it('opens only https and mailto links', () => {
    const { shell } = newShell();
    shell.openExternal('javascript:alert(1)');
    shell.openExternal('file:///etc/passwd');
    shell.openExternal('https://help.example.org');
    expect(electronShell.openExternal.mock.calls).toEqual([['https://help.example.org']]);
  });
});

describe('tray support', () => {
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
