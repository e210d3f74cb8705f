import type { DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import type { UiState } from '../../ipc/window-bridge/contract.js';
import type { MenuItem, TrayIconState, TrayModel } from '../shell/port.js';
import { formatTimeForUser } from './format-time.js';
import { mainStrings as s } from './strings.js';

/**
 * What the tray shows for a UI state. The order of the checks is the order of importance to the user:
 * without the agent nothing else is true; work in progress beats a stale "action needed"; an action the
 * user must take beats a server problem the user cannot fix.
 */
export function trayModelFor(state: UiState): TrayModel {
  const { icon, line } = iconAndLine(state);
  const menu: MenuItem[] = [{ kind: 'status', label: line }, { kind: 'separator' }];
  const action = state.status?.action;
  if (
    state.connection.state === 'connected' &&
    action?.kind === 'luks_passphrase' &&
    state.app.platform === 'linux'
  ) {
    const until = cooldownUntil(state);
    menu.push({
      kind: 'command',
      command: 'create-recovery-key',
      label: until ? s.menu.createRecoveryKeyAt(formatTimeForUser(until)) : s.menu.createRecoveryKey,
    });
  }
  // "I forgot my disk passphrase": the person unlocked with the recovery key (an escrowed LUKS key exists).
  const escrowedLuks = state.status?.volumes.some(
    (v) => v.encryption === 'luks2' && v.escrow.state === 'escrowed',
  );
  if (
    state.connection.state === 'connected' &&
    state.app.platform === 'linux' &&
    (action?.kind === 'luks_new_passphrase' || escrowedLuks)
  ) {
    menu.push({ kind: 'command', command: 'forgot-passphrase', label: s.menu.forgotPassphrase });
  }
  if (state.connection.state === 'connected' && action?.kind === 'macos_logout') {
    menu.push({ kind: 'command', command: 'log-out', label: s.menu.logOut });
  }
  menu.push(
    { kind: 'command', command: 'my-device', label: s.menu.myDevice },
    { kind: 'command', command: 'about', label: s.menu.about },
    { kind: 'separator' },
    { kind: 'version', label: s.menu.version(state.app.version) },
  );
  return { icon, tooltip: `${s.appName} — ${line}`, menu };
}

function iconAndLine(state: UiState): { icon: TrayIconState; line: string } {
  if (state.connection.state === 'connecting') return { icon: 'working', line: s.status.connecting };
  if (state.connection.state === 'agent_unavailable' || !state.status) {
    return { icon: 'agent_unavailable', line: s.status.agentUnavailable };
  }
  const status = state.status;
  if (status.server.slowDown && anyVolume(status, ['uploading'])) {
    return { icon: 'working', line: s.status.serverSlowDown };
  }
  if (
    state.passphrase.phase === 'submitting' ||
    state.newPassphrase.phase === 'submitting' ||
    anyVolume(status, ['in_progress', 'uploading'])
  ) {
    return { icon: 'working', line: s.status.working };
  }
  const until = cooldownUntil(state);
  if (until) return { icon: 'action_needed', line: s.status.cooldown(formatTimeForUser(until)) };
  if (status.action) return { icon: 'action_needed', line: actionLine(status.action.kind) };
  if (anyVolume(status, ['failed', 'action_required']))
    return { icon: 'action_needed', line: s.status.failed };
  if (status.server.state !== 'connected')
    return { icon: 'server_unreachable', line: s.status.serverUnreachable };
  if (anyVolume(status, ['unknown'])) return { icon: 'working', line: s.status.checking };
  if (status.volumes.every((v) => v.escrow.state === 'not_required')) {
    return { icon: 'escrowed', line: s.status.notRequired };
  }
  return { icon: 'escrowed', line: s.status.escrowed };
}

function actionLine(kind: NonNullable<DeviceStatus['action']>['kind']): string {
  if (kind === 'luks_passphrase') return s.status.actionLuks;
  if (kind === 'macos_logout') return s.status.actionLogout;
  if (kind === 'luks_new_passphrase') return s.status.actionReset;
  return s.status.actionBitlocker;
}

function anyVolume(
  status: DeviceStatus,
  states: DeviceStatus['volumes'][number]['escrow']['state'][],
): boolean {
  return status.volumes.some((v) => states.includes(v.escrow.state));
}

/**
 * The cool-down the core is running after too many wrong passphrases (its timer ends it, which republishes
 * the tray, so no clock is needed here).
 */
function cooldownUntil(state: UiState): string | null {
  return state.passphrase.phase === 'cooldown' ? state.passphrase.cooldownUntil : null;
}
