/**
 * Server-rendered pages for people (sign-in, the link page, the self-service portal): a tagged template
 * that escapes every interpolated value, one layout, one stylesheet. No script at all: forms and links do
 * everything, so the pages work on any phone and the policy forbids every script.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Value) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Scripts: none. Styles and images from this server only; forms post only here; never framed. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STYLESHEET_PATH = '/my-device/style.css';

export function page(opts: {
  title: string;
  org: string;
  body: Html;
  signedInAs?: string | null;
  csrf?: string;
}): string {
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${opts.org}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="top">
  <span class="brand">${opts.org}</span>
  ${
    opts.signedInAs
      ? html`<form method="post" action="/sso/logout" class="signout">
    <input type="hidden" name="csrf" value="${opts.csrf ?? ''}">
    <span class="who">${opts.signedInAs}</span>
    <button type="submit" class="link-button">Sign out</button>
  </form>`
      : ''
  }
</header>
<main id="main">
${opts.body}
</main>
</body>
</html>`.text
  }`;
}

/** The stylesheet: system fonts, light and dark, large targets, readable at 320 px. */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #16191d; --muted: #4a525c; --line: #cfd5dc;
  --accent: #0b57d0; --accent-text: #ffffff; --danger: #b3261e; --ok: #146c2e; --warn: #7a4a00;
  --key-bg: #eef2f8;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1b2026; --text: #eef1f4; --muted: #b4bcc6; --line: #3a434d;
    --accent: #8ab4f8; --accent-text: #0b1a33; --danger: #f2b8b5; --ok: #7fd99a; --warn: #f5c26b;
    --key-bg: #232a33;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; }
.signout { display: flex; flex-wrap: wrap; gap: 0 .75rem; align-items: center; margin: 0; }
.signout button { white-space: nowrap; }
.who { color: var(--muted); overflow-wrap: anywhere; }
main { max-width: 44rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
p { margin: .5rem 0 1rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem 1.25rem;
  margin: 0 0 1rem; }
.devices { list-style: none; padding: 0; margin: 0; }
.devices li { margin: 0 0 1rem; }
.device-name { font-size: 1.15rem; font-weight: 700; margin: 0 0 .25rem; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.status { font-weight: 700; }
.status-ok { color: var(--ok); }
.status-warn { color: var(--warn); }
.status-bad { color: var(--danger); }
.button, button { display: inline-block; min-height: 2.75rem; padding: .6rem 1.1rem; border-radius: .5rem;
  border: 2px solid var(--accent); background: var(--accent); color: var(--accent-text); font: inherit;
  font-weight: 600; text-decoration: none; cursor: pointer; }
.button.secondary, button.secondary { background: transparent; color: var(--accent); }
.link-button { min-height: 2.75rem; background: transparent; border: 0; color: var(--accent); padding: .25rem;
  text-decoration: underline; font-weight: 400; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
.hint { display: block; font-weight: 400; color: var(--muted); font-size: .95rem; }
select, textarea, input[type=text] { width: 100%; font: inherit; padding: .6rem; border-radius: .5rem;
  border: 1px solid var(--line); background: var(--card); color: var(--text); min-height: 2.75rem; }
.check { display: flex; gap: .6rem; align-items: flex-start; font-weight: 400; }
.check input { width: 1.4rem; height: 1.4rem; margin-top: .1rem; flex: none; }
.notice { border-left: 4px solid var(--accent); padding: .75rem 1rem; background: var(--card); margin: 1rem 0;
  border-radius: .25rem; }
.notice.error { border-color: var(--danger); }
.key { list-style: none; padding: 0; margin: 1rem 0; display: grid; gap: .5rem;
  grid-template-columns: repeat(2, minmax(0, 1fr)); }
@media (min-width: 36rem) { .key { grid-template-columns: repeat(4, minmax(0, 1fr)); } }
.key li { background: var(--key-bg); border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .6rem;
  display: flex; flex-direction: column; min-width: 0; }
.key .n { font-size: .8rem; color: var(--muted); }
.key .g { font: 700 1.5rem/1.25 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  letter-spacing: .04em; overflow-wrap: anywhere; }
.key-line { display: block; margin: .35rem 0 1rem; font: 600 1.05rem/1.6 ui-monospace, Menlo, Consolas,
  "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; background: var(--key-bg); padding: .5rem .75rem;
  border-radius: .4rem; }
/* The key leaves the screen by itself after ten minutes; reloading does not bring it back (no-store). */
.reveal { animation: hide-key 1ms linear 600s forwards; }
.reveal-gone { display: none; }
@keyframes hide-key { to { visibility: hidden; height: 0; overflow: hidden; } }
ol.steps li { margin: 0 0 .5rem; }
fieldset.plain { border: 0; padding: 0; margin: 0; }
legend { padding: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
