import { vi } from 'vitest';
import type { ShellEvents } from '../../shell/port.js';
import { ElectronShell } from '../electron-shell.js';

/** An ElectronShell (on the fake electron module) with recorded shell events. */
export function newShell(over: Partial<ConstructorParameters<typeof ElectronShell>[0]> = {}) {
  const events: ShellEvents = { onMenuCommand: vi.fn(), onWindowClosed: vi.fn() };
  const shell = new ElectronShell({
    preloadPath: '/app/dist/src-main/preload.cjs',
    iconsDir: '/app/assets/icons',
    platform: 'darwin',
    hasTray: true,
    ...over,
  });
  shell.attach(events);
  return { shell, events };
}
