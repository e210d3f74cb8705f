import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IpcMain, IpcMainInvokeEvent, Protocol, Session, WebContents } from 'electron';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Channels } from '../../ipc/window-bridge/channels.js';
import type { DesktopCore } from '../core/desktop-core.js';
import { CONTENT_SECURITY_POLICY } from '../renderer-policy.js';
import { serveRenderer } from './app-protocol.js';
import { connectIpc } from './ipc.js';
import { isTrustedSender, lockDownSession } from './security.js';
import { BrowserWindow, resetFakeElectron } from './test-support/fake-electron.js';
import { newShell } from './test-support/new-shell.js';

vi.mock('electron', () => import('./test-support/fake-electron.js'));

beforeEach(resetFakeElectron);

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
    const win = BrowserWindow.created[0] as BrowserWindow;
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
});
