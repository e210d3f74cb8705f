import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether a tray icon will actually be seen. Electron cannot tell: on GNOME without the AppIndicator
 * extension a Tray is created but never drawn (Fleet #12334), so the user would miss every prompt. There
 * the core opens windows itself.
 */
export function trayLikelyVisible(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean = existsSync,
  home: string = os.homedir(),
): boolean {
  if (platform !== 'linux') return true;
  const desktop = (env.XDG_CURRENT_DESKTOP ?? '').toUpperCase();
  if (!desktop.includes('GNOME')) return true;
  const dirs = [path.join(home, '.local/share/gnome-shell/extensions'), '/usr/share/gnome-shell/extensions'];
  const ids = ['appindicatorsupport@rgcjonas.gmail.com', 'ubuntu-appindicators@ubuntu.com'];
  return dirs.some((d) => ids.some((id) => exists(path.join(d, id))));
}

/** The icon file for a state: template images on macOS, .ico on Windows, colour PNG elsewhere. */
export function trayIconFile(iconsDir: string, state: string, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return path.join(iconsDir, `tray-${state}Template.png`);
  if (platform === 'win32') return path.join(iconsDir, `tray-${state}.ico`);
  return path.join(iconsDir, `tray-${state}.png`);
}

/**
 * Windows shows a toast notification only for an app whose AppUserModelID matches its Start-menu shortcut;
 * the NSIS installer gives the shortcut electron-builder's `appId` (electron-builder.yml).
 */
export const WINDOWS_APP_USER_MODEL_ID = 'org.escrowdesktop.app';
