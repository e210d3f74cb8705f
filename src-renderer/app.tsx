import { useEffect } from 'react';
import type { WindowKind } from '../ipc/window-bridge/contract.js';
import { AboutScreen } from './screens/about.js';
import { LogoutPrompt } from './screens/logout-prompt.js';
import { MyDevice } from './screens/my-device.js';
import { NewPassphraseDialog } from './screens/new-passphrase-dialog.js';
import { PassphraseDialog } from './screens/passphrase-dialog.js';
import { strings } from './strings.js';
import { useUiState } from './use-ui-state.js';

const TITLES: Record<WindowKind, string> = {
  passphrase: strings.passphrase.windowTitle,
  'my-device': strings.device.windowTitle,
  logout: strings.logout.windowTitle,
  about: strings.about.windowTitle,
  'new-passphrase': strings.newPassphrase.windowTitle,
};

/** Each window loads the same page; the hash names the screen (#passphrase, #my-device, …). */
export function windowKind(): WindowKind {
  const h = window.location.hash.replace(/^#/, '');
  return h === 'passphrase' || h === 'logout' || h === 'about' || h === 'new-passphrase' ? h : 'my-device';
}

export function App() {
  const kind = windowKind();
  const state = useUiState();
  useEffect(() => {
    document.title = TITLES[kind];
  }, [kind]);
  if (!state) {
    return (
      <main className="window" aria-busy="true">
        <p className="muted">{strings.loading}</p>
      </main>
    );
  }
  if (kind === 'passphrase') return <PassphraseDialog state={state} />;
  if (kind === 'logout') return <LogoutPrompt state={state} />;
  if (kind === 'about') return <AboutScreen state={state} />;
  if (kind === 'new-passphrase') return <NewPassphraseDialog state={state} />;
  return <MyDevice state={state} />;
}
