import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'assets/linux/escrow-agent.service';

/**
 * systemd-analyze verify checks every directive and that ExecStart's program exists. The unit names the
 * installed launcher (/usr/sbin/escrow-agent); here it points at this checkout's bin/escrow-agent (the same
 * agent, in development) and a temp config file.
 */
async function verify(unitText: string, dir: string): Promise<{ code: number; output: string }> {
  const file = path.join(dir, 'escrow-agent.service');
  await writeFile(file, unitText);
  try {
    const r = await run('systemd-analyze', ['verify', '--man=no', file]);
    return { code: 0, output: (r.stdout + r.stderr).trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: (e.stdout + e.stderr).trim() };
  }
}

describe('systemd unit', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const localized = async () => {
    dir ??= await mkdtemp(path.join(os.tmpdir(), 'escrow-unit-'));
    await writeFile(path.join(dir, 'agent.conf'), 'ESCROW_SERVER=https://escrow.example.com\n');
    return (await readFile(UNIT, 'utf8'))
      .replace('ExecStart=/usr/sbin/escrow-agent ', `ExecStart=${path.resolve('.')}/bin/escrow-agent `)
      .replace('EnvironmentFile=/etc/escrow-agent/agent.conf', `EnvironmentFile=${dir}/agent.conf`);
  };

  it('passes systemd-analyze verify without a single warning', async () => {
    const r = await verify(await localized(), dir ?? '');
    expect(r).toEqual({ code: 0, output: '' });
  });

  it('is hardened: read-only system, private tmp, no new privileges, three capabilities', async () => {
    const text = await readFile(UNIT, 'utf8');
    const directives = new Map(
      text
        .split('\n')
        .filter((l) => /^[A-Z]\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(directives.get('ProtectSystem')).toBe('strict');
    expect(directives.get('PrivateTmp')).toBe('yes');
    expect(directives.get('NoNewPrivileges')).toBe('yes');
    expect(directives.get('CapabilityBoundingSet')).toBe('CAP_SYS_ADMIN CAP_IPC_LOCK CAP_CHOWN');
    expect(directives.get('RuntimeDirectory')).toBe('escrow-agent');
    expect(directives.get('StateDirectory')).toBe('escrow-agent');
    // The launcher installed by after-install.sh, which refuses an executable that is not root's alone
    // with status 78: restarting would not help.
    expect(directives.get('ExecStart')).toMatch(/^\/usr\/sbin\/escrow-agent run /);
    expect(directives.get('RestartPreventExitStatus')).toBe('78');
    // The enroll secret is passed as a file name, never as a value in argv or the environment.
    expect(directives.get('ExecStart')).toContain('--enroll-secret-file /etc/escrow-agent/enroll-secret ');
  });

  it('the check can fail: a misspelt value or a missing program is reported', async () => {
    const good = await localized();
    const bad = await verify(good.replace('ProtectSystem=strict', 'ProtectSystem=stricter'), dir);
    expect(bad.output).toContain('Failed to parse protect system value');
    const missing = await verify(good.replace(`${path.resolve('.')}/bin/`, '/nonexistent/bin/'), dir);
    expect(missing.code).not.toBe(0);
  });
});
