import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../test-support/oidc-idp.js';

/** The single sign-on flags and break-glass of the real command, bundled like cli.integration.test.ts. */
const root = resolve(import.meta.dirname, '../..');
let cliDir: string;
let cli: string;
let work: string;
let idp: TestIdp;

beforeAll(async () => {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  cliDir = mkdtempSync(join(root, 'node_modules/.cache/escrow-server-sso-cli-'));
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
  work = mkdtempSync(join(tmpdir(), 'escrow-sso-cli-'));
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.close();
  rmSync(cliDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

function serve(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // JSON lines only; the addresses line comes after the server's own "listening" line.
      const logged = out
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as { msg: string; url?: string });
      const url = logged.find((l) => l.msg === 'escrow server listening')?.url;
      if (url && out.includes('sso_redirect_uri')) ok({ child, url, output: () => out });
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${code}: ${out}`)));
  });
}

describe('escrow-server single sign-on flags', () => {
  it('refuses password sign-in off without single sign-on, a bad role map, and --oidc-* without an issuer', () => {
    const dir = join(work, 'a');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    const base = ['serve', '--data-dir', dir, '--listen', '127.0.0.1:0'];
    const off = run([...base, '--disable-password-login']);
    expect(off.status).toBe(2);
    expect(off.stderr).toContain('--disable-password-login needs single sign-on');
    const secret = join(work, 'secret');
    writeFileSync(secret, `${idp.clientSecret}\n`, { mode: 0o600 });
    const sso = [
      '--oidc-issuer',
      idp.issuer,
      '--oidc-client-id',
      idp.clientId,
      '--oidc-client-secret-file',
      secret,
    ];
    const bad = run([...base, ...sso, '--oidc-role-map', 'admins=root']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--oidc-role-map');
    expect(run([...base, '--oidc-client-id', 'x']).stderr).toContain('need --oidc-issuer');
  });

  it('serves with the same settings from --sso-config (JSON), and refuses the file mixed with flags', async () => {
    const dir = join(work, 'c');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    writeFileSync(join(work, 'secret-c'), idp.clientSecret, { mode: 0o600 });
    const config = join(work, 'sso-c.json');
    writeFileSync(
      config,
      JSON.stringify({
        oidc_issuer: idp.issuer,
        oidc_client_id: idp.clientId,
        oidc_client_secret_file: 'secret-c',
        oidc_role_map: 'it-admins=admin',
        public_url: 'https://escrow.example.com',
        disable_password_login: true,
      }),
    );
    const base = ['--data-dir', dir, '--listen', '127.0.0.1:0', '--sso-config', config];
    const mixed = run(['serve', ...base, '--oidc-client-id', 'other']);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('--sso-config and --oidc-client-id cannot be used together');
    const s = await serve(base);
    try {
      expect(s.output()).toContain('"sso_redirect_uri":"https://escrow.example.com/sso/callback"');
      const status = (await (await fetch(`${s.url}/api/latest/fleet/sso`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ sso_enabled: true, password_login: false });
    } finally {
      s.child.kill('SIGTERM');
    }
  });

  it('serves with single sign-on (secret from a file, printed redirect URI); break-glass prints a one-time link', async () => {
    const dir = join(work, 'b');
    expect(run(['init', '--data-dir', dir, '--json']).status).toBe(0);
    const secret = join(work, 'secret-b');
    writeFileSync(secret, idp.clientSecret, { mode: 0o600 });
    const s = await serve([
      '--data-dir',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--oidc-issuer',
      idp.issuer,
      '--oidc-client-id',
      idp.clientId,
      '--oidc-client-secret-file',
      secret,
      '--oidc-role-map',
      'it-admins=admin',
      '--disable-password-login',
    ]);
    try {
      expect(s.output()).toContain(`"sso_redirect_uri":"${s.url}/sso/callback"`);
      expect(s.output()).not.toContain(idp.clientSecret);
      const status = (await (await fetch(`${s.url}/api/latest/fleet/sso`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ sso_enabled: true, password_login: false });

      const bg = run(['break-glass', '--data-dir', dir, '--email', 'root@example.com', '--url', s.url]);
      expect(bg.status).toBe(0);
      const link = /(http\S+\/sso\/break-glass\?code=\S+)/.exec(bg.stdout)?.[1] ?? '';
      const code = new URL(link).searchParams.get('code') ?? '';
      const post = () =>
        fetch(`${s.url}/sso/break-glass`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `code=${code}`,
        });
      const first = await post();
      expect(first.status).toBe(303);
      expect(first.headers.get('set-cookie')).toMatch(/^escrow_session=.+HttpOnly; SameSite=Strict/);
      expect((await post()).status).toBe(400);
    } finally {
      s.child.kill('SIGTERM');
    }
  });
});
