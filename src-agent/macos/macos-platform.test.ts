import { describe, expect, it } from 'vitest';
import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';
import { serverConfig as config, wishes } from '../test-support/server-wishes.js';
import { macState } from './macos-platform.js';

describe('macState: FileVault status → volume, log-out action, report', () => {
  const fv = {
    fileVaultOn: true,
    hasPrk: true,
    escrowBuddyInstalled: true,
    mechanismPresent: true,
    generateNewKey: false,
    pendingLogout: false,
  };
  const withDeadline: ConfigResponse = {
    ...config({ rotate: true }),
    disk_encryption: { enabled: true, logout_deadline: '2026-02-01T00:00:00Z', max_deferrals: 3 },
  };

  it('a pending log-out is the action, with the server’s deadline and deferrals', () => {
    const s = macState({ ...fv, pendingLogout: true }, wishes(withDeadline));
    expect(s.action).toEqual({
      kind: 'macos_logout',
      deadline: '2026-02-01T00:00:00Z',
      deferralsLeft: 3,
      nextPromptAt: null,
    });
    expect(s.report).toEqual({
      platform: 'darwin',
      boot_volume_encrypted: true,
      filevault: { enabled: true, has_personal_recovery_key: true },
    });
  });

  it('FileVault off fails clearly; a verified PRK is escrowed; policy off is not required', () => {
    expect(macState({ ...fv, fileVaultOn: false }, wishes(config())).volumes[0]?.escrow.state).toBe('failed');
    expect(macState(fv, wishes(config())).volumes[0]?.escrow.state).toBe('escrowed');
    expect(macState(fv, wishes(config({ enabled: false }))).volumes[0]?.escrow.state).toBe('not_required');
    expect(macState(fv, wishes(config({ enabled: false }))).action).toBeNull();
  });
});
