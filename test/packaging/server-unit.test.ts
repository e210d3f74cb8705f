import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'assets/linux/escrow-server.service';

function directives(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => /^[A-Z]\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The server's unit, pointed at this checkout's bin/escrow-server and a temp config, as systemd reads it. */
describe('the server systemd unit', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify without a single warning', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'escrow-server-unit-'));
    await writeFile(path.join(dir, 'server.conf'), 'ESCROW_SERVER_ARGS=--listen 127.0.0.1:8080\n');
    const text = (await readFile(UNIT, 'utf8'))
      .replace('ExecStart=/opt/escrow-server/bin/', `ExecStart=${path.resolve('.')}/bin/`)
      .replace('EnvironmentFile=/etc/escrow-server/server.conf', `EnvironmentFile=${dir}/server.conf`);
    const file = path.join(dir, 'escrow-server.service');
    await writeFile(file, text);
    const r = await run('systemd-analyze', ['verify', '--man=no', file]).then(
      (o) => ({ code: 0, output: (o.stdout + o.stderr).trim() }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        output: e.stdout + e.stderr,
      }),
    );
    expect(r).toEqual({ code: 0, output: '' });
  });

  it('raises the open-file limit (issue 18, finding 1) and runs unprivileged and confined', async () => {
    const d = directives(await readFile(UNIT, 'utf8'));
    // 21,000 idle connections exhausted the default limit; the server sizes its connection cap from this.
    expect(Number(d.get('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    expect(d.get('User')).toBe('escrow-server');
    expect(d.get('CapabilityBoundingSet')).toBe('');
    expect(d.get('ProtectSystem')).toBe('strict');
    expect(d.get('NoNewPrivileges')).toBe('yes');
    expect(d.get('StateDirectory')).toBe('escrow-server');
    expect(d.get('ExecStart')).toMatch(/ serve --data-dir \$\{STATE_DIRECTORY\} /);
  });
});
