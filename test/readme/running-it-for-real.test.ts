import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeLuks2Image } from '../../src-agent/linux/test-support/luks-image.js';

// README's "Running it for real", command by command, as a new admin types them. Only what cannot be the
// same on a test machine is replaced, each for a stated reason:
//   - paths under /var/lib and /etc → a temporary directory (this machine's own must not be touched);
//   - escrow.example.com → localhost, port 8443 → a free port, 0.0.0.0 → 127.0.0.1 (loopback only);
//   - [--ca-file …] and [--luks-device …] are used (a LUKS2 image file stands in for the disk); the other
//     [optional] parts are left out; the agent and escrowctl get a socket of their own (--socket);
//   - `sudo` is dropped when this runs as root (as CI does), as README says to in a root shell.
const root = path.resolve(import.meta.dirname, '../..');
const PASSPHRASE = 'readme passphrase';
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(path.join(tmpdir(), 'escrow-readme-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

/** The sh block under "## Running it for real": one entry per command (continuations joined). */
function readmeCommands(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running it for real'));
  const block = section.slice(
    section.indexOf('```sh\n') + 6,
    section.indexOf('\n```', section.indexOf('```sh')),
  );
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(what: string, probe: () => T | null | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!isRoot)("README's Running it for real, as written", () => {
  it('init, a certificate, serve, set-org, escrow on, the agent with --ca-file, escrowctl, later steps', async () => {
    const port = await freePort();
    const image = makeLuks2Image(PASSPHRASE);
    const secretFile = path.join(work, 'enroll-secret');
    const commands = readmeCommands();
    // Every command README gives is one this test runs (a new one needs a line here, or README drifted).
    expect(commands.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'bin/escrow-server init',
      'openssl req',
      'bin/escrow-server serve',
      'bin/escrow-server set-org',
      'curl --fail',
      'sudo bin/escrow-agent',
      'bin/escrowctl status',
      'bin/escrowctl escrow-luks',
      'bin/escrow-server rotate-escrow-cert',
      'bin/escrow-server add-admin-token',
      'bin/escrow-server backup',
    ]);
    const env = { ...process.env, ADMIN_TOKEN: '' };
    const adapt = (c: string) =>
      c
        .replace(/^sudo /, '')
        .replaceAll('/var/lib/escrow-server', path.join(work, 'server'))
        .replaceAll('/var/lib/escrow-agent', path.join(work, 'agent'))
        .replaceAll('/etc/escrow-agent/enroll-secret', secretFile)
        .replaceAll('escrow.example.com', 'localhost')
        .replaceAll('0.0.0.0:8443', `127.0.0.1:${port}`)
        .replaceAll(':8443', `:${port}`)
        .replace('[--ca-file cert.pem]', '--ca-file cert.pem')
        .replace(/\[--luks-device \S+\]/, `--luks-device ${image.path}`)
        .replace(/ \[[^\]]*\]/g, '')
        .replace(/^bin\/(escrow-agent run|escrowctl) /, `bin/$1 --socket ${path.join(work, 'agent.sock')} `)
        .replace(/(^| )bin\//g, `$1${root}/bin/`);
    const sh = (c: string, input?: string) =>
      spawnSync('sh', ['-c', adapt(c)], { cwd: work, env, encoding: 'utf8', ...(input ? { input } : {}) });
    const background = (c: string) => {
      const child = spawn('sh', ['-c', `exec ${adapt(c)}`], {
        cwd: work,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      return () => out;
    };
    const [init, cert, serve, setOrg, escrowOn, agent, status, escrow, rotate, token, backup] = commands as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    const made = sh(init);
    expect(made.status, made.stderr).toBe(0);
    const secrets = JSON.parse(made.stdout) as { enroll_secret: string; admin_token: string };
    writeFileSync(secretFile, secrets.enroll_secret, { mode: 0o600 });
    env.ADMIN_TOKEN = secrets.admin_token;
    expect(sh(cert).status).toBe(0);
    const serverOut = background(serve);
    await until('the server', () => serverOut().includes('"msg":"escrow server listening"'));
    // JSON lines only, every one of them.
    for (const line of serverOut().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    expect(sh(setOrg).status).toBe(0);
    const on = sh(escrowOn);
    expect(on.status, on.stderr).toBe(0);

    const agentOut = background(agent);
    await until('the agent socket', () => existsSync(path.join(work, 'agent.sock')));
    const asked = await until('the escrow request', () => {
      const r = sh(`${status.replace(' [--json]', '')} --json`);
      // set-org reaches a running server's agents within seconds.
      return r.status === 0 && r.stdout.includes('luks_passphrase') && r.stdout.includes('Example Corp')
        ? r.stdout
        : null;
    });
    expect(JSON.parse(asked)).toMatchObject({ organization: { name: 'Example Corp' } });
    const human = sh(status);
    expect(human.status, human.stderr).toBe(0);

    const done = sh(escrow, `${PASSPHRASE}\n`);
    expect(done.status, `${done.stdout}${done.stderr}${agentOut()}`).toBe(0);
    expect(done.stdout).toMatch(/^Escrowed: key slot 1 at /);
    expect(sh(rotate).status).toBe(0);
    const observer = sh(token);
    expect(observer.status, observer.stderr).toBe(0);
    const saved = sh(backup, 'a backup passphrase of some length\n');
    expect(saved.status, saved.stderr).toBe(0);
    expect(statSync(path.join(work, 'keys.backup')).size).toBeGreaterThan(0);
    image.cleanup();
  }, 180_000);
});
