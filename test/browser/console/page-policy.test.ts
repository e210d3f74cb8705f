import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleMetaCsp, serializeConsoleCsp } from '../../../ipc/admin/console-policy.js';

/**
 * The console's page under its CSP, checked where it is cheap: the built page carries the policy and
 * nothing the policy would block (no inline script or style, nothing from another origin), and the
 * sources never render markup from strings (hostnames, serials, user names and host errors are text).
 */
const built = path.resolve('dist/console');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : /\.(tsx?|css|html)$/.test(name) ? [full] : [];
  });
}

describe('the console page and its policy', () => {
  it('is the brief’s policy, word for word', () => {
    expect(serializeConsoleCsp()).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('carries the policy as its only CSP meta tag, ahead of every script and stylesheet', () => {
    const html = readFileSync(path.join(built, 'index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
    expect(metas.map((m) => m[1])).toEqual([consoleMetaCsp()]);
    const at = html.indexOf('Content-Security-Policy');
    expect(at).toBeLessThan(html.indexOf('<script'));
    expect(at).toBeLessThan(html.indexOf('<link rel="stylesheet"'));
  });

  it('loads only its own files from /admin/, with no inline script or style', () => {
    const html = readFileSync(path.join(built, 'index.html'), 'utf8');
    for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[1]).toMatch(/src="\/admin\/assets\/[\w-]+\.js"/);
      expect(m[2]).toBe('');
    }
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1]).toMatch(/^\/admin\//);
    expect(html).not.toMatch(/\sstyle=|<style/);
  });

  it('never renders markup from a string nor sets a style attribute in its sources', () => {
    for (const file of sources(path.resolve('src-console'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/dangerouslySetInnerHTML|innerHTML\s*=|\beval\(|new Function\(/);
      expect(text, file).not.toMatch(/\sstyle=\{/);
    }
  });
});
