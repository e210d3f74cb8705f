import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'assets/linux/escrow-server.service';

async function analyze(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const r = await run('systemd-analyze', args);
    return { code: 0, output: (r.stdout + r.stderr).trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: (e.stdout + e.stderr).trim() };
  }
}

/**
 * The server's unit, checked as the agent's is (systemd-unit.test.ts): the installed paths point at this
 * checkout's bin/escrow-server and temp files standing in for /etc/escrow-server/.
 */
describe('escrow-server systemd unit', () => {
  let dir: string;
  let unit: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-server-unit-'));
    for (const f of ['tls.crt', 'tls.key']) await writeFile(path.join(dir, f), '');
    await writeFile(path.join(dir, 'server.conf'), 'ESCROW_SERVER_ARGS=--listen 127.0.0.1:8080\n');
    unit = path.join(dir, 'escrow-server.service');
    await writeFile(
      unit,
      (await readFile(UNIT, 'utf8'))
        .replaceAll('/etc/escrow-server/', `${dir}/`)
        .replace('ExecStart=/usr/bin/escrow-server ', `ExecStart=${path.resolve('.')}/bin/escrow-server `),
    );
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify without a single warning', async () => {
    expect(await analyze(['verify', '--man=no', unit])).toEqual({ code: 0, output: '' });
  });

  it('scores as exposed 2.0 or less in systemd-analyze security (README records the score)', async () => {
    const r = await analyze(['security', '--offline=true', '--no-pager', unit]);
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.output)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
  });

  it('runs as its own dynamic user with a state dir, a high open-file limit, a read-only system and no capabilities', async () => {
    const directives = new Map(
      (await readFile(UNIT, 'utf8'))
        .split('\n')
        .filter((l) => /^[A-Z]\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(directives.get('DynamicUser')).toBe('yes');
    // The connection cap is sized from the open-file limit (issue 18, finding 1): room for a large fleet.
    expect(Number(directives.get('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    expect(directives.get('StateDirectory')).toBe('escrow-server');
    expect(directives.get('ProtectSystem')).toBe('strict');
    expect(directives.get('NoNewPrivileges')).toBe('yes');
    expect(directives.get('CapabilityBoundingSet')).toBe('');
    expect(directives.get('ExecStart')).toMatch(
      /^\/usr\/bin\/escrow-server serve --data-dir \$\{STATE_DIRECTORY\} /,
    );
  });
});
