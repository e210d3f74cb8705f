import { describe, expect, it } from 'vitest';
import { html, PAGE_CSP, page } from './html.js';

describe('server-rendered pages', () => {
  it('escapes every interpolated value, nested lists too; only html`` fragments pass as markup', () => {
    const name = `<script>alert(1)</script>" onmouseover="x' \``;
    const out = html`<p title="${name}">${name}</p>${[html`<b>${name}</b>`, name]}`.text;
    expect(out).not.toContain('<script>');
    expect(out).not.toMatch(/" onmouseover=/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &#96;');
    expect(out).toContain('<b>&lt;script&gt;');
  });

  it('a page has no script and no inline style, and its policy forbids both', () => {
    const text = page({ title: 'T', org: 'O<rg>', body: html`<p>x</p>`, signedInAs: 'a@b.c', csrf: 'tok' });
    expect(text).not.toMatch(/<script|style=/i);
    expect(text).toContain('O&lt;rg&gt;');
    expect(PAGE_CSP).toContain("script-src 'none'");
    expect(PAGE_CSP).toContain("form-action 'self'");
    expect(PAGE_CSP).not.toContain('unsafe');
  });
});
