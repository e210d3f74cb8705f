import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's first command, `npm start`, run the way a person would (here with --web: no display). It
 * must print a working URL, a passphrase and a data dir, and remove everything on Ctrl-C.
 */
const root = path.resolve(import.meta.dirname, '../..');
let demo: ChildProcess | null = null;
afterAll(() => demo?.kill('SIGKILL'));

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`demo did not print ${pattern} in time:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code}) early:\n${out}`));
    });
  });
}

describe('npm start (the demo)', () => {
  it('runs server, agent on a fresh LUKS2 image and the web UI, and cleans up on Ctrl-C', async () => {
    demo = spawn(process.execPath, ['scripts/demo.mjs', '--web'], {
      cwd: root,
      env: { ...process.env, ESCROW_DEMO_PASSPHRASE: 'demo pass phrase ✓' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await waitForOutput(demo, /Press Ctrl-C/, 60_000);
    expect(out).toContain('Its passphrase:  demo pass phrase ✓');
    const url = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\S*)/)?.[1];
    const logs = out.match(/Logs: (\S+)\/\*\.log/)?.[1];
    expect(url).toBeDefined();
    expect(logs).toBeDefined();

    const page = await fetch(url as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    // The printed URL hands this browser the harness's session cookie; the API needs it.
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^escrow_harness=/);

    // The agent enrolled and the server asked it for a key: the desktop core shows the action.
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline && !state.includes('luks_passphrase')) {
      const res = await fetch(new URL('/api/invoke?window=my-device', url as string), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: new URL(url as string).origin, cookie },
        body: JSON.stringify({ type: 'getState' }),
      });
      state = await res.text();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toContain('luks_passphrase');
    // The printed escrowctl line, run as printed, reaches the same agent.
    const ctlLine = out.match(/^ {4}(bin\/escrowctl --socket \S+ status)$/m)?.[1];
    expect(ctlLine).toBeDefined();
    const ctl = spawnSync(process.execPath, (ctlLine as string).split(' '), { cwd: root, encoding: 'utf8' });
    expect(ctl.status, ctl.stderr).toBe(0);
    expect(ctl.stdout).toContain('To do:     create a recovery key');

    const exited = new Promise<number | null>((resolve) => demo?.once('exit', resolve));
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(logs as string)).toBe(false);
    demo = null;
  });
});
