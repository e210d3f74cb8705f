import type { WindowKind } from '../../ipc/window-bridge/contract.js';

/**
 * Everything the desktop logic asks of the platform shell (Electron, or the web harness in tests and the
 * `--web` demo). Kept small on purpose: each call is one user-visible effect, so a recording fake proves
 * what the user would see.
 */

export type TrayIconState =
  | 'escrowed'
  | 'action_needed'
  | 'working'
  | 'agent_unavailable'
  | 'server_unreachable';

export type MenuCommand = 'create-recovery-key' | 'forgot-passphrase' | 'log-out' | 'my-device' | 'about';

export type MenuItem =
  | { kind: 'status'; label: string }
  | { kind: 'command'; command: MenuCommand; label: string }
  | { kind: 'version'; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  icon: TrayIconState;
  tooltip: string;
  menu: MenuItem[];
}

export interface WindowOptions {
  /** Keep the window above others and refuse to close it: used once the log-out deadline has passed. */
  mustAct?: boolean;
}

/**
 * What a notification is about. A newer notice with the same tag replaces the older one, and the core
 * withdraws a tag once it no longer applies, so the notification centre never says "action needed" after
 * the action is done.
 */
export type NoticeTag = 'action' | 'agent';

export interface Notice {
  tag: NoticeTag;
  title: string;
  body: string;
  onClick: () => void;
}

export interface ShellPort {
  /** False where no tray can be shown (GNOME without AppIndicator): the core then opens windows itself. */
  readonly hasTray: boolean;
  setTray(model: TrayModel): void;
  /** Opens the window or, if it is open, brings it to the front (and applies the new options). */
  openWindow(kind: WindowKind, options?: WindowOptions): void;
  closeWindow(kind: WindowKind): void;
  notify(notice: Notice): void;
  /** Removes the notice with this tag, if one is still shown. */
  withdraw(tag: NoticeTag): void;
  openExternal(url: string): void;
}

/** The core's entry points the shell calls back into. */
export interface ShellEvents {
  onMenuCommand(command: MenuCommand): void;
  /** The user (or the OS) closed a window; it is already gone. */
  onWindowClosed(kind: WindowKind): void;
}
