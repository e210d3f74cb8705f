import {
  BrowserWindow,
  type BrowserWindowConstructorOptions,
  type IpcMainInvokeEvent,
  type Session,
  type WebContents,
} from 'electron';
import { CONTENT_SECURITY_POLICY } from '../renderer-policy.js';

/** Where our windows load from: the app:// protocol serving dist/renderer (app-protocol.ts). */
export const APP_ORIGIN = 'app://renderer';

/**
 * The only way this app makes a window. The web preferences are written out here, literally, so that
 * review (and electronegativity) sees them where the window is made: a renderer holds nothing but a
 * sandboxed page and the preload API, and cannot navigate or open anything.
 */
export function createSecureWindow(
  preload: string,
  options: Omit<BrowserWindowConstructorOptions, 'webPreferences'>,
): BrowserWindow {
  const win = new BrowserWindow({
    ...options,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      // Middle-click opens links in new windows; nothing in our pages needs it.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  lockDownContents(win.webContents);
  return win;
}

/** Our pages never navigate, open windows or attach webviews; anything trying to is refused. */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * No camera, notifications-from-page, clipboard, HID…: the app's pages need no permission at all. The CSP
 * (renderer-policy.ts) is also forced on every response the session sees, not only on the ones app://
 * serves.
 */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

/**
 * An IPC message is trusted only when it comes from a window we created, from its main frame (not an
 * iframe), showing our own renderer. Anything else is dropped.
 */
export function isTrustedSender(
  event: IpcMainInvokeEvent,
  ours: (contents: WebContents) => boolean,
): boolean {
  const frame = event.senderFrame;
  if (!frame || !ours(event.sender)) return false;
  if (frame !== event.sender.mainFrame) return false;
  try {
    // Not URL.origin: for a custom scheme Node's URL reports the origin as "null".
    const url = new URL(frame.url);
    return `${url.protocol}//${url.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}
