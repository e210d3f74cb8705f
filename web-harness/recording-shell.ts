import type { WindowKind } from '../ipc/window-bridge/contract.js';
import type {
  MenuCommand,
  Notice,
  NoticeTag,
  ShellEvents,
  ShellPort,
  TrayModel,
  WindowOptions,
} from '../src-main/shell/port.js';
import type { ShellSnapshot } from './shell-snapshot.js';

/** One call the core made on the shell, in order; tests read these to see what the user would have seen. */
export type ShellRecord =
  | { type: 'tray'; model: TrayModel }
  | { type: 'openWindow'; kind: WindowKind; mustAct: boolean }
  | { type: 'closeWindow'; kind: WindowKind }
  | { type: 'notify'; id: number; tag: NoticeTag; title: string; body: string }
  | { type: 'withdraw'; tag: NoticeTag }
  | { type: 'openExternal'; url: string };

const MAX_VISIBLE_NOTIFICATIONS = 4;

/**
 * The shell for the web harness and for tests: it keeps what Electron would have put on screen in memory,
 * records every call, and lets the "user" click the tray menu, a notification or a window's close button.
 */
export class RecordingShell implements ShellPort {
  readonly records: ShellRecord[] = [];
  private tray: TrayModel | null = null;
  private readonly windows = new Map<WindowKind, { mustAct: boolean }>();
  private notices: (Notice & { id: number })[] = [];
  private nextNoticeId = 1;
  private events: ShellEvents | null = null;
  private readonly listeners = new Set<(snap: ShellSnapshot) => void>();

  constructor(readonly hasTray = true) {}

  /** Connects the user's clicks to the core (done once the core exists: it needs the shell first). */
  attach(events: ShellEvents): void {
    this.events = events;
  }

  setTray(model: TrayModel): void {
    this.tray = model;
    this.record({ type: 'tray', model });
  }

  openWindow(kind: WindowKind, options: WindowOptions = {}): void {
    this.windows.set(kind, { mustAct: options.mustAct ?? false });
    this.record({ type: 'openWindow', kind, mustAct: options.mustAct ?? false });
  }

  closeWindow(kind: WindowKind): void {
    if (!this.windows.delete(kind)) return;
    this.record({ type: 'closeWindow', kind });
  }

  /** The windows open now (for tests and the simulated desktop). */
  openWindows(): WindowKind[] {
    return [...this.windows.keys()];
  }

  notify(notice: Notice): void {
    const id = this.nextNoticeId++;
    const others = this.notices.filter((n) => n.tag !== notice.tag);
    this.notices = [...others, { ...notice, id }].slice(-MAX_VISIBLE_NOTIFICATIONS);
    this.record({ type: 'notify', id, tag: notice.tag, title: notice.title, body: notice.body });
  }

  withdraw(tag: NoticeTag): void {
    if (!this.notices.some((n) => n.tag === tag)) return;
    this.notices = this.notices.filter((n) => n.tag !== tag);
    this.record({ type: 'withdraw', tag });
  }

  openExternal(url: string): void {
    this.record({ type: 'openExternal', url });
  }

  // ---- The simulated user ----

  clickNotification(id: number): boolean {
    const notice = this.notices.find((n) => n.id === id);
    if (!notice) return false;
    this.notices = this.notices.filter((n) => n.id !== id);
    notice.onClick();
    this.changed();
    return true;
  }

  clickMenu(command: MenuCommand): boolean {
    const offered = this.tray?.menu.some((m) => m.kind === 'command' && m.command === command) ?? false;
    if (offered) this.events?.onMenuCommand(command);
    return offered;
  }

  /** The user closed a window with its title-bar button (a must-act window has none). */
  closeByUser(kind: WindowKind): boolean {
    const w = this.windows.get(kind);
    if (!w || w.mustAct) return false;
    this.closeWindow(kind);
    this.events?.onWindowClosed(kind);
    return true;
  }

  snapshot(): ShellSnapshot {
    return {
      tray: this.tray,
      notifications: this.notices.map(({ id, tag, title, body }) => ({ id, tag, title, body })),
      windows: [...this.windows].map(([kind, w]) => ({ kind, mustAct: w.mustAct })),
    };
  }

  onChange(listener: (snap: ShellSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(r: ShellRecord): void {
    this.records.push(r);
    this.changed();
  }

  private changed(): void {
    const snap = this.snapshot();
    for (const l of this.listeners) l(snap);
  }
}
