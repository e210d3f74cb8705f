import path from 'node:path';
import { app, ipcMain, protocol, session } from 'electron';
import { AgentClient } from '../node-lib/agent-socket/client.js';
import { defaultSocketPath } from '../node-lib/agent-socket/socket-paths.js';
import { DesktopCore } from './core/desktop-core.js';
import { registerAppScheme, serveRenderer } from './electron/app-protocol.js';
import { ElectronShell } from './electron/electron-shell.js';
import { connectIpc } from './electron/ipc.js';
import { lockDownContents, lockDownSession } from './electron/security.js';
import { trayLikelyVisible, WINDOWS_APP_USER_MODEL_ID } from './electron/tray-support.js';
import { execFileCommand } from './os/command-runner.js';
import { macosLogout, unsupportedLogout } from './os/macos-logout.js';

/**
 * Electron entry (package.json "main"). Everything that decides anything lives in core/; this file only
 * wires Electron to it. ESCROW_AGENT_SOCKET points the app at a non-default agent (the demo does).
 */
// Every renderer in the OS sandbox, whatever its web preferences say: ours ask for it already
// (createSecureWindow), and this also covers web contents Electron makes that we did not ask for. Electron
// accepts it only before the app is ready.
app.enableSandbox();
registerAppScheme(protocol);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Every web contents, even one we did not expect to exist, gets the same lock-down.
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  // A tray app keeps running with no window open.
  app.on('window-all-closed', () => {});
  void app.whenReady().then(start);
}

function start(): void {
  const platform = process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
  app.dock?.hide();
  if (platform === 'win32') app.setAppUserModelId(WINDOWS_APP_USER_MODEL_ID);
  lockDownSession(session.defaultSession);
  const root = app.getAppPath();
  serveRenderer(protocol, path.join(root, 'dist', 'renderer'));

  const shell = new ElectronShell({
    preloadPath: path.join(root, 'dist', 'src-main', 'preload.cjs'),
    iconsDir: path.join(root, 'assets', 'icons'),
    platform: process.platform,
    hasTray: trayLikelyVisible(process.platform, process.env),
  });
  const socketPath = process.env.ESCROW_AGENT_SOCKET || defaultSocketPath();
  const core = new DesktopCore({
    shell,
    connect: () =>
      AgentClient.connect({ socketPath, clientName: 'desktop', clientVersion: app.getVersion() }),
    logout: platform === 'darwin' ? macosLogout(execFileCommand) : unsupportedLogout,
    appVersion: app.getVersion(),
    platform,
  });
  shell.attach(core);
  const disconnect = connectIpc(ipcMain, shell, core);
  // A second launch (from the app menu, or autostart racing the user) shows My Device instead.
  app.on('second-instance', () => core.onMenuCommand('my-device'));
  app.on('before-quit', () => {
    disconnect();
    core.stop();
  });
  core.start();
}
