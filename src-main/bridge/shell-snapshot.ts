import type { NoticeTag, TrayModel } from '../shell/port.js';
import type { WindowKind } from './contract.js';

/**
 * What the web harness's simulated desktop page draws: the tray, the notifications still on screen and the
 * open windows. The contract between the harness (src-main/web) and that page (src-renderer/web).
 */
export interface ShellSnapshot {
  tray: TrayModel | null;
  notifications: { id: number; tag: NoticeTag; title: string; body: string }[];
  windows: { kind: WindowKind; mustAct: boolean }[];
}
