import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { Channels } from '../../ipc/window-bridge/channels.js';
import type { RendererResponse, UiState } from '../../ipc/window-bridge/contract.js';
import { createEscrowApi } from './escrow-api.js';
import { createStateFeed } from './state-feed.js';

/**
 * The only door between a window and the main process: a handful of named calls, no generic
 * send/invoke, no Node. Main validates every argument (bridge/contract.ts) and checks who sent it.
 */
const invoke = (body: object): Promise<RendererResponse> => ipcRenderer.invoke(Channels.invoke, body);

// Listen and ask for the state now, while the page's own scripts are still loading.
const feed = createStateFeed();
ipcRenderer.on(Channels.state, (_event: IpcRendererEvent, state: UiState) => feed.push(state));
void invoke({ type: 'getState' }).then((r) => r.ok && feed.seed(r.state));

const api = createEscrowApi(invoke, feed);

contextBridge.exposeInMainWorld('escrow', api);
