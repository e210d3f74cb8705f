import type { IpcMainInvokeEvent, Session, WebContents, WebPreferences } from 'electron';

/** Where our windows load from: the app:// protocol serving dist/renderer (app-protocol.ts). */
export const APP_ORIGIN = 'app://renderer';

/** No inline script, no remote anything: the renderer only ever needs its own files. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** Every window gets exactly these; a renderer holds nothing but a sandboxed page and the preload API. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
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
  };
}

/** Our pages never navigate, open windows or attach webviews; anything trying to is refused. */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** No camera, notifications-from-page, clipboard, HID…: the app's pages need no permission at all. */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
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
