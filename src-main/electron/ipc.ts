import type { IpcMain } from 'electron';
import { Channels } from '../../ipc/window-bridge/channels.js';
import type { RendererResponse } from '../../ipc/window-bridge/contract.js';
import type { DesktopCore } from '../core/desktop-core.js';
import type { ElectronShell } from './electron-shell.js';
import { isTrustedSender } from './security.js';

const REFUSED: RendererResponse = {
  ok: false,
  error: { code: 'not_permitted', message: 'This request did not come from an Escrow Desktop window.' },
};

/** One invoke channel into the core, open only to our own windows; state is pushed to all of them. */
export function connectIpc(ipcMain: IpcMain, shell: ElectronShell, core: DesktopCore): () => void {
  ipcMain.handle(Channels.invoke, (event, payload: unknown) => {
    const kind = shell.kindOf(event.sender);
    if (!kind || !isTrustedSender(event, (c) => shell.kindOf(c) !== null)) return REFUSED;
    return core.handleRequest(kind, payload);
  });
  const stop = core.subscribe((state) => shell.broadcast(Channels.state, state));
  return () => {
    stop();
    ipcMain.removeHandler(Channels.invoke);
  };
}
