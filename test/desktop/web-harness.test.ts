import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebDesktop, type WebDesktop } from '../../src-main/web/web-desktop.js';
import { FakeAgent, luksNeededStatus } from './fake-agent.js';

/** The harness listens on loopback with the core behind it: it must only serve its own pages. */
let agent: FakeAgent;
let desktop: WebDesktop;
let port: number;

beforeAll(async () => {
  agent = await FakeAgent.start({ passphrase: 'p', status: luksNeededStatus() });
  desktop = await startWebDesktop({ socketPath: agent.socketPath });
  port = Number(new URL(desktop.url).port);
});
afterAll(async () => {
  await desktop.close();
  await agent.close();
});

function request(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
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
  it('serves the renderer with the bridge injected and a strict CSP', async () => {
    const r = await request('/index.html');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/<script defer src="\.\/web\/bridge\.js"><\/script><script type="module"/);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
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
    const huge = JSON.stringify({ type: 'submitPassphrase', passphrase: 'x'.repeat(20_000) });
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
