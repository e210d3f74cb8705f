import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  cspMetaTag,
  metaCsp,
  RENDERER_CSP,
  RENDERER_MIME_TYPES,
  serializeCsp,
} from './renderer-policy.js';

describe('renderer policy', () => {
  it('has a CSP without inline script, eval or remote sources', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('is written as a header the way browsers read it', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'",
    );
    expect(serializeCsp({ 'a-src': ["'self'", 'data:'], 'b-src': ["'none'"] })).toBe(
      "a-src 'self' data:; b-src 'none'",
    );
  });

  it('puts in the meta tag every directive a meta element can carry, exactly as in the header', () => {
    const header = directivesOf(CONTENT_SECURITY_POLICY);
    const meta = directivesOf(metaCsp(RENDERER_CSP));
    expect(Object.keys(header).filter((d) => !(d in meta))).toEqual(['frame-ancestors']);
    for (const [name, value] of Object.entries(meta)) expect(value, name).toBe(header[name]);
    expect(cspMetaTag(RENDERER_CSP)).toBe(
      `<meta http-equiv="Content-Security-Policy" content="${metaCsp(RENDERER_CSP)}" />`,
    );
  });

  it('serves only the kinds of file the renderer is built into', () => {
    expect(Object.keys(RENDERER_MIME_TYPES).sort()).toEqual(['.css', '.html', '.js', '.png', '.svg']);
    expect(RENDERER_MIME_TYPES['.js']).toBe('text/javascript; charset=utf-8');
  });
});

function directivesOf(csp: string): Record<string, string> {
  return Object.fromEntries(
    csp.split(';').map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name as string, sources.join(' ')];
    }),
  );
}
