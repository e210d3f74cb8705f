import type { WindowKind } from '../ipc/window-bridge/contract.js';
import type { NoticeTag, TrayModel } from '../src-main/shell/port.js';

/**
 * What the web harness's simulated desktop page draws: the tray, the notifications still on screen and the
 * open windows. The contract between the harness (src-main/web) and that page (src-renderer/web).
 */
export interface ShellSnapshot {
  tray: TrayModel | null;
  notifications: { id: number; tag: NoticeTag; title: string; body: string }[];
  windows: { kind: WindowKind; mustAct: boolean }[];
}
