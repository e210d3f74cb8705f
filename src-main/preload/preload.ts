import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { Channels } from '../bridge/channels.js';
import type { EscrowApi, RendererResponse, UiState } from '../bridge/contract.js';
import { createStateFeed } from '../bridge/state-feed.js';

/**
 * The only door between a window and the main process: a handful of named calls, no generic
 * send/invoke, no Node. Main validates every argument (bridge/contract.ts) and checks who sent it.
 */
const invoke = (body: object): Promise<RendererResponse> => ipcRenderer.invoke(Channels.invoke, body);

// Listen and ask for the state now, while the page's own scripts are still loading.
const feed = createStateFeed();
ipcRenderer.on(Channels.state, (_event: IpcRendererEvent, state: UiState) => feed.push(state));
void invoke({ type: 'getState' }).then((r) => r.ok && feed.seed(r.state));

const api: EscrowApi = {
  getState: () => invoke({ type: 'getState' }),
  subscribe: (listener) => feed.subscribe(listener),
  // The string crosses to main once; main turns it into a Buffer, sends it to the agent and wipes it.
  submitPassphrase: (passphrase) => invoke({ type: 'submitPassphrase', passphrase }),
  remindLater: () => invoke({ type: 'remindLater' }),
  deferLogout: () => invoke({ type: 'deferLogout' }),
  logOutNow: () => invoke({ type: 'logOutNow' }),
  openWindow: (kind) => invoke({ type: 'openWindow', kind }),
  openContact: () => invoke({ type: 'openContact' }),
  close: () => invoke({ type: 'close' }),
};

contextBridge.exposeInMainWorld('escrow', api);
