import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cspMetaTag, RENDERER_CSP, serializeCsp } from '../src-main/renderer-policy.js';
import { FakeAgent, luksNeededStatus } from './test-support/fake-agent.js';
import { HARNESS_DESKTOP_CSP, HARNESS_WINDOW_CSP, startWebDesktop, type WebDesktop } from './web-desktop.js';

/** The harness listens on loopback with the core behind it: it must only serve its own pages. */
let agent: FakeAgent;
let desktop: WebDesktop;
let port: number;
/** The session cookie the printed URL hands to the browser. */
let cookie: string;

beforeAll(async () => {
  agent = await FakeAgent.start({ passphrase: 'p', status: luksNeededStatus() });
  desktop = await startWebDesktop({ socketPath: agent.socketPath });
  port = Number(new URL(desktop.url).port);
  const page = new URL(desktop.url);
  const r = await request(`${page.pathname}${page.search}`, { cookie: null });
  cookie = String(r.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;
});
afterAll(async () => {
  await desktop.close();
  await agent.close();
});

/** `cookie: null` sends no session cookie (another local account); the default sends the browser's. */
function request(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; cookie?: string | null } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const session = opts.cookie === undefined ? cookie : opts.cookie;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...(session ? { cookie: session } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('web harness', () => {
  it('serves the API only to the browser that opened the printed URL', async () => {
    const page = new URL(desktop.url);
    const first = await request(`${page.pathname}${page.search}`, { cookie: null });
    expect(first.headers['set-cookie']?.[0]).toMatch(
      /^escrow_harness=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict/,
    );
    const before = agent.received.length;
    const post = { method: 'POST', headers: json, body: JSON.stringify({ type: 'remindLater' }) };
    expect((await request('/api/invoke?window=passphrase', { ...post, cookie: null })).status).toBe(401);
    expect(
      (await request('/api/invoke?window=passphrase', { ...post, cookie: 'escrow_harness=guess' })).status,
    ).toBe(401);
    expect((await request('/api/events?window=my-device', { cookie: null })).status).toBe(401);
    expect(agent.received.length).toBe(before);
    // Without the key the page itself still loads (it holds no state), but it cannot act.
    expect((await request('/web/desktop.html', { cookie: null })).status).toBe(200);
  });

  it('serves the renderer with the bridge injected and a strict CSP', async () => {
    const r = await request('/index.html');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(
      /<script defer src="\.\/web\/bridge-[\w-]+\.js"><\/script><script defer src="\.\/assets\/index-[\w-]+\.js">/,
    );
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('serves its pages under the app’s policy, relaxed only where it stands in for Electron', async () => {
    const window = await request('/index.html');
    expect(window.headers['content-security-policy']).toBe(serializeCsp(HARNESS_WINDOW_CSP));
    // The page's own meta tag is replaced too: the app's would block the bridge's fetch and event stream.
    expect(window.body).toContain(cspMetaTag(HARNESS_WINDOW_CSP));
    expect(window.body).not.toContain(cspMetaTag(RENDERER_CSP));
    const desktopPage = await request('/web/desktop.html');
    expect(desktopPage.headers['content-security-policy']).toBe(serializeCsp(HARNESS_DESKTOP_CSP));
    const changed = (csp: typeof RENDERER_CSP) =>
      Object.keys(csp).filter((d) => JSON.stringify(csp[d]) !== JSON.stringify(RENDERER_CSP[d]));
    expect(changed(HARNESS_WINDOW_CSP)).toEqual(['connect-src', 'frame-ancestors']);
    expect(changed(HARNESS_DESKTOP_CSP)).toEqual(['connect-src', 'frame-ancestors', 'frame-src']);
    for (const csp of [HARNESS_WINDOW_CSP, HARNESS_DESKTOP_CSP]) {
      expect(Object.values(csp).flat()).not.toContainEqual(expect.stringMatching(/unsafe|\*|https?:/));
    }
  });

  it('refuses to serve a renderer built with another policy', async () => {
    const built = path.resolve(import.meta.dirname, '../dist/renderer');
    const dir = mkdtempSync(path.join(tmpdir(), 'escrow-renderer-'));
    try {
      cpSync(built, dir, { recursive: true });
      const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
      const loose = cspMetaTag({ ...RENDERER_CSP, 'script-src': ["'self'", "'unsafe-inline'"] });
      writeFileSync(path.join(dir, 'index.html'), html.replace(cspMetaTag(RENDERER_CSP), loose));
      await expect(startWebDesktop({ socketPath: agent.socketPath, rendererDir: dir })).rejects.toThrow(
        /renderer-policy/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the current state inside the page as inert JSON that no string can break out of', async () => {
    const hostile = '</script><script>alert(1)</script><!--';
    agent.setStatus(
      luksNeededStatus({ organization: { name: hostile, contactUrl: 'https://help.example.org' } }),
    );
    await expect.poll(() => desktop.core.getState().status?.organization?.name).toBe(hostile);
    const r = await request('/index.html');
    const block = r.body.match(
      /<script type="application\/json" id="escrow-initial-state">([\s\S]*?)<\/script>/,
    );
    expect(block).not.toBeNull();
    const json = block?.[1] ?? '';
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(desktop.core.getState())));
    // Before the bridge, so the bridge finds it when it runs.
    expect(r.body.indexOf('escrow-initial-state')).toBeLessThan(r.body.indexOf('web/bridge-'));
    // Like /api, the state goes only to the browser that opened the printed URL.
    const stranger = await request('/index.html', { cookie: null });
    expect(stranger.status).toBe(200);
    expect(stranger.body).not.toContain('escrow-initial-state');
    expect(stranger.body).not.toContain('alert(1)');
    agent.setStatus(luksNeededStatus());
    await expect.poll(() => desktop.core.getState().status?.organization?.name).toBe('Example IT');
  });

  it('answers renderer requests through the real core', async () => {
    const r = await request('/api/invoke?window=my-device', {
      method: 'POST',
      headers: json,
      body: '{"type":"getState"}',
    });
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, state: { connection: { state: 'connected' } } });
  });

  it('refuses other hosts (DNS rebinding), other origins and non-JSON posts', async () => {
    expect((await request('/index.html', { headers: { host: 'evil.example' } })).status).toBe(421);
    const body = '{"type":"logOutNow"}';
    expect(
      (
        await request('/api/invoke?window=logout', {
          method: 'POST',
          headers: { ...json, origin: 'https://evil.example' },
          body,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request('/api/invoke?window=logout', {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body,
        })
      ).status,
    ).toBe(403);
  });

  it('refuses unknown windows, oversize bodies and paths outside the renderer', async () => {
    expect(
      (await request('/api/invoke?window=devtools', { method: 'POST', headers: json, body: '{}' })).status,
    ).toBe(400);
    const huge = JSON.stringify({ type: 'createRecoveryKey', passphrase: 'x'.repeat(20_000) });
    expect(
      (await request('/api/invoke?window=passphrase', { method: 'POST', headers: json, body: huge })).status,
    ).toBe(400);
    expect((await request('/%2e%2e/package.json')).status).toBe(404);
    expect((await request('/icons/%2e%2e/%2e%2e/package.json')).status).toBe(404);
  });

  it('lets the simulated user click only what the tray offers', async () => {
    const click = (command: string) =>
      request('/api/shell/menu', { method: 'POST', headers: json, body: JSON.stringify({ command }) }).then(
        (r) => JSON.parse(r.body),
      );
    await expect.poll(() => desktop.shellEvents.snapshot().tray?.icon).toBe('action_needed');
    expect(await click('create-recovery-key')).toEqual({ ok: true });
    expect(desktop.shellEvents.openWindows()).toContain('passphrase');
    expect(await click('log-out')).toEqual({ ok: false });
  });
});
