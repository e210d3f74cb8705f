import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../ipc/agent-server/orbit-api.js';
import { openSocket, outcomeOf, statuses } from './test-support/raw-http.js';
import { hostIdentity } from './test-support/server.js';
import { selfSignedCertificate } from './test-support/tls.js';

/**
 * The real command in a real process. The CLI is bundled once with esbuild (dependencies left external and
 * resolved from the repository's node_modules), so this test does not depend on `npm run build`.
 */
const root = resolve(import.meta.dirname, '..');
let cliDir: string;
let cli: string;
let work: string;

beforeAll(async () => {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  cliDir = mkdtempSync(join(root, 'node_modules/.cache/escrow-server-cli-'));
  cli = join(cliDir, 'cli.mjs');
  await build({
    entryPoints: [join(root, 'src-server/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: cli,
    logLevel: 'warning',
  });
  work = mkdtempSync(join(tmpdir(), 'escrow-cli-'));
});
afterAll(() => {
  rmSync(cliDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

function serve(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolvePromise, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = listeningUrl(out);
      if (url) resolvePromise({ child, url, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** The server's address from its JSON log (stdout carries JSON lines only: every line must parse). */
function listeningUrl(out: string): string | null {
  const lines = out.split('\n').slice(0, -1);
  const logged = lines.map((l) => JSON.parse(l) as { msg: string; url?: string });
  return logged.find((l) => l.msg === 'escrow server listening')?.url ?? null;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => {
    if (child.exitCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });

describe('escrow-server CLI', () => {
  it('init --json prints exactly the three fields; the private key is 0600; a second init changes nothing', () => {
    const dir = join(work, 'a');
    const r = run(['init', '--data-dir', dir, '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['admin_token', 'enroll_secret', 'escrow_certificate_path']);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const keysDir = join(dir, 'escrow-keys');
    const keyFile = join(keysDir, readdirSync(keysDir).find((f) => f.endsWith('.key.pem')) ?? '');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'escrow.sqlite')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const before = readFileSync(keyFile);
    const again = run(['init', '--data-dir', dir, '--json']);
    expect(again.status).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/already initialized; nothing was changed/);
    expect(readFileSync(keyFile).equals(before)).toBe(true);
    expect(readdirSync(keysDir).sort()).toEqual(['0001.cert.pem', '0001.key.pem']);
  });

  it('rotate-escrow-cert adds a generation and keeps the old one; add-admin-token prints a token', () => {
    const dir = join(work, 'b');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    const old = readFileSync(join(dir, 'escrow-keys/0001.key.pem'));
    const r = run(['rotate-escrow-cert', '--data-dir', dir]);
    expect(r.status).toBe(0);
    expect(readdirSync(join(dir, 'escrow-keys')).sort()).toEqual([
      '0001.cert.pem',
      '0001.key.pem',
      '0002.cert.pem',
      '0002.key.pem',
    ]);
    expect(readFileSync(join(dir, 'escrow-keys/0001.key.pem')).equals(old)).toBe(true);
    const tok = run(['add-admin-token', '--data-dir', dir, '--role', 'observer']);
    expect(tok.status).toBe(0);
    expect(tok.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const bad = run(['add-admin-token', '--data-dir', dir, '--role', 'root']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--role must be one of admin, maintainer, helpdesk, observer/);
  });

  it('add-user takes the password on stdin only; set-org and scoped, expiring tokens', async () => {
    const dir = join(work, 'f');
    const init = JSON.parse(run(['init', '--data-dir', dir, '--json']).stdout) as { admin_token: string };
    const add = (args: string[], input: string) =>
      spawnSync(process.execPath, [cli, 'add-user', '--data-dir', dir, ...args], { input, encoding: 'utf8' });
    const r = add(
      ['--email', 'Alice@Example.com', '--role', 'helpdesk', '--password-stdin', '--json'],
      'long enough pw\n',
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).user).toMatchObject({
      email: 'alice@example.com',
      role: 'helpdesk',
      teams: null,
    });
    expect(add(['--email', 'b@example.com', '--role', 'admin'], 'x').stderr).toMatch(/--password-stdin/);
    expect(
      add(['--email', 'c@example.com', '--role', 'admin', '--password-stdin'], 'short\n').stderr,
    ).toMatch(/at least 12 characters/);
    expect(
      add(['--email', 'alice@example.com', '--role', 'admin', '--password-stdin'], 'long enough pw').status,
    ).toBe(1);
    expect(
      add(
        ['--email', 'd@example.com', '--role', 'admin', '--team', 'Nope', '--password-stdin'],
        'long enough pw',
      ).stderr,
    ).toMatch(/no team named or numbered "Nope"/);
    const org = run([
      'set-org',
      '--data-dir',
      dir,
      '--name',
      'Acme',
      '--contact-email',
      'it@acme.example',
      '--json',
    ]);
    expect(JSON.parse(org.stdout).org_info).toEqual({
      org_name: 'Acme',
      contact_url: '',
      contact_email: 'it@acme.example',
      contact_phone: '',
    });
    expect(run(['set-org', '--data-dir', dir, '--contact-url', 'javascript:alert(1)']).status).toBe(1);
    const tok = run(['add-admin-token', '--data-dir', dir, '--role', 'helpdesk', '--expires-in-days', '7']);
    expect(tok.status).toBe(0);
    const list = JSON.parse(run(['list-admin-tokens', '--data-dir', dir, '--json']).stdout) as {
      api_tokens: { id: number; role: string; expires_at: string | null }[];
    };
    expect(list.api_tokens.map((t) => t.role)).toEqual(['admin', 'helpdesk']);
    expect(list.api_tokens[1]?.expires_at).not.toBeNull();
    expect(
      run(['revoke-admin-token', '--data-dir', dir, '--id', String(list.api_tokens[1]?.id)]).status,
    ).toBe(0);
    expect(
      run(['revoke-admin-token', '--data-dir', dir, '--id', String(list.api_tokens[1]?.id)]).status,
    ).toBe(1);
    // A running server reads the stored organisation, and the person added can sign in.
    const { child, url } = await serve(['--data-dir', dir, '--listen', '127.0.0.1:0']);
    const cfg = await fetch(`${url}/api/latest/fleet/config`, {
      headers: { authorization: `Bearer ${init.admin_token}` },
    });
    expect(((await cfg.json()) as { org_info: { org_name: string } }).org_info.org_name).toBe('Acme');
    const signIn = await fetch(`${url}/api/latest/fleet/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@example.com', password: 'long enough pw' }),
    });
    expect(signIn.status).toBe(200);
    expect(((await signIn.json()) as { role: string }).role).toBe('helpdesk');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('refuses plain HTTP off loopback, and a bad --listen', () => {
    const dir = join(work, 'c');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    const r = run(['serve', '--data-dir', dir, '--listen', '0.0.0.0:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plain HTTP is allowed only on loopback/);
    const bad = run(['serve', '--data-dir', dir, '--listen', 'nonsense']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--listen must be HOST:PORT/);
  });

  it('serves, and on SIGTERM answers held long-polls and exits 0', async () => {
    const dir = join(work, 'd');
    const init = JSON.parse(run(['init', '--data-dir', dir, '--json']).stdout) as { enroll_secret: string };
    const { child, url } = await serve(['--data-dir', dir, '--listen', '127.0.0.1:0']);
    const post = (path: string, body: unknown) =>
      fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const enrolled = (await (
      await post(AGENT_API_PATHS.enroll, { enroll_secret: init.enroll_secret, ...hostIdentity() })
    ).json()) as { orbit_node_key: string };
    const cfg = (await (
      await post(AGENT_API_PATHS.config, { orbit_node_key: enrolled.orbit_node_key })
    ).json()) as {
      config_version: string;
    };
    const held = post(AGENT_API_PATHS.config, {
      orbit_node_key: enrolled.orbit_node_key,
      wait_for_change: { after_version: cfg.config_version, timeout_seconds: 55 },
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const res = await held;
    expect(res.status).toBe(200);
    expect(await exited(child)).toBe(0);
  });

  it('serves HTTPS with --tls-cert/--tls-key, also off loopback', async () => {
    const dir = join(work, 'e');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    const cert = join(work, 'tls.crt');
    const key = join(work, 'tls.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const { child, url } = await serve([
      '--data-dir',
      dir,
      '--listen',
      '0.0.0.0:0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    expect(url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
    const port = new URL(url).port;
    const { request } = await import('node:https');
    const status = await new Promise<number | undefined>((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port, path: AGENT_API_PATHS.enroll, method: 'POST', ca: readFileSync(cert) },
        (res) => {
          res.resume();
          ok(res.statusCode);
        },
      );
      req.on('error', fail);
      req.setHeader('content-type', 'application/json');
      req.end('{}');
    });
    expect(status).toBe(400);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
  it('connection flags: a bad value is a usage error; over TLS the shipped defaults and the flags are in force', async () => {
    const dir = join(work, 'g');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    for (const flag of ['--max-connections', '--max-connections-per-address', '--keep-alive-timeout']) {
      const bad = run(['serve', '--data-dir', dir, '--listen', '127.0.0.1:0', flag, 'lots']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(`${flag} must be a whole number`);
    }
    const tls = selfSignedCertificate(work);
    const child = spawn(
      process.execPath,
      [
        cli,
        'serve',
        '--data-dir',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--tls-cert',
        tls.certPath,
        '--tls-key',
        tls.keyPath,
        '--max-connections',
        '50',
        '--max-connections-per-address',
        '7',
        '--keep-alive-timeout',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const url = await new Promise<string>((ok, fail) => {
      child.stdout?.on('data', () => {
        const found = listeningUrl(out);
        if (found) ok(found);
      });
      child.once('exit', (code) => fail(new Error(`serve exited ${code}: ${out}`)));
    });
    for (let i = 0; i < 50 && !out.includes('escrow server listening'); i++)
      await new Promise((r) => setTimeout(r, 100));
    const listening = out
      .split('\n')
      .filter((l) => l.includes('escrow server listening'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(listening).toMatchObject({ max_connections: 50, max_connections_per_address: 7 });
    // A kept-alive connection is closed about a second after its answer (Node adds one second).
    const kept = await openSocket(url);
    kept.write('GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n');
    const k = await outcomeOf(kept, 6_000);
    expect(statuses(k.received)).toEqual([404]);
    expect(k.end).toBe('closed');
    expect(k.ms).toBeLessThan(4_000);
    // A connection that says nothing after its handshake is answered 408 once the header time (10 s) is up.
    const silent = await outcomeOf(await openSocket(url), 20_000);
    expect(statuses(silent.received)).toEqual([408]);
    expect(silent.ms).toBeGreaterThan(9_000);
    expect(silent.ms).toBeLessThan(13_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 60_000);
});
