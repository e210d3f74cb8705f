import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD } from '../test-support/admin.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { consoleRelativePath } from './console.js';

let dir: string;
let t: TestServer | null = null;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'escrow-console-'));
  mkdirSync(join(dir, 'console/assets'), { recursive: true });
  writeFileSync(
    join(dir, 'console/index.html'),
    '<!doctype html><script type="module" src="/admin/assets/app-1a2b.js"></script>',
  );
  writeFileSync(join(dir, 'console/assets/app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the console');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'console/assets/link.txt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await t?.close();
  t = null;
});

/** A raw request: fetch would normalise the dots and encoded slashes away before sending. */
function raw(url: string, path: string) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the console at /admin/', () => {
  it('serves the page with a strict CSP, the assets with long caching, and the page for app routes', async () => {
    t = await startTestServer({ consoleDir: join(dir, 'console') });
    const redirect = await raw(t.url, '/admin');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/admin/']);
    const page = await raw(t.url, '/admin/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('app-1a2b.js');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const asset = await raw(t.url, '/admin/assets/app-1a2b.js');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const route = await raw(t.url, '/admin/hosts/42?tab=timeline');
    expect([route.status, route.body]).toEqual([200, page.body]);
    expect((await raw(t.url, '/admin/assets/missing.js')).status).toBe(404);
  });

  it.each([
    '/admin/../package.json',
    '/admin/..%2f..%2fpackage.json',
    '/admin/%2e%2e/%2e%2e/secret.txt',
    '/admin/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/admin/..%5c..%5csecret.txt',
    '/admin/%00index.html',
    '/admin/%E0%A4%A',
    '/admin/assets/link.txt',
  ])('refuses to serve anything outside dist/console: %s', async (path) => {
    t = await startTestServer({ consoleDir: join(dir, 'console') });
    const res = await raw(t.url, path);
    expect(res.body).not.toContain('outside the console');
    expect(res.body).not.toContain('"name": "escrow-desktop"');
    expect([200, 400, 404]).toContain(res.status);
  });

  it('says clearly that the console was not built when dist/console is missing', async () => {
    t = await startTestServer({ consoleDir: join(dir, 'nowhere') });
    const res = await raw(t.url, '/admin/');
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/^The admin console was not built: dist\/console is missing/);
  });

  it('decodes only safe relative paths', () => {
    expect(consoleRelativePath('/admin/assets/a%20b.js?x=1')).toBe('assets/a b.js');
    expect(consoleRelativePath('/admin/a/./b')).toBeNull();
    expect(consoleRelativePath('/admin//etc/passwd')).toBeNull();
  });
});

describe('over TLS', () => {
  it('adds HSTS and makes the session cookie Secure with the __Host- prefix', async () => {
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
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
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    t = await startTestServer({ tls: { certPath: cert, keyPath: key }, consoleDir: join(dir, 'console') });
    await addUser(t, 'alice@example.com', 'admin');
    const u = new URL(t.url);
    const res = await new Promise<{ headers: Record<string, unknown>; status: number }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: u.port,
          path: '/api/latest/fleet/sessions',
          method: 'POST',
          ca: readFileSync(cert),
          headers: { 'content-type': 'application/json' },
        },
        (r) => {
          r.resume();
          resolve({ headers: r.headers, status: r.statusCode ?? 0 });
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ email: 'alice@example.com', password: PASSWORD }));
    });
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(String(res.headers['set-cookie'])).toMatch(
      /^__Host-escrow_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/,
    );
  });
});
