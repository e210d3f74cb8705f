import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { consoleMetaCsp } from '../ipc/admin/console-policy.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The page's CSP meta tag, from the one policy (ipc/admin/console-policy.ts), ahead of every script and stylesheet. */
function consolePolicyMeta(): Plugin {
  const anchor = '<meta charset="utf-8" />';
  return {
    name: 'escrow-console-policy-meta',
    transformIndexHtml(html) {
      if (!html.includes(anchor)) throw new Error(`index.html: ${anchor} was not found`);
      return html.replace(
        anchor,
        `${anchor}\n    <meta http-equiv="Content-Security-Policy" content="${consoleMetaCsp()}" />`,
      );
    },
  };
}

// The admin console: plain React compiled by Vite's own transformer, like the desktop's renderer. The
// server serves dist/console at /admin/, so every asset URL starts there; the app's own routes are paths
// under /admin/ too, and the server answers any of them with index.html.
export default defineConfig({
  root: here('.'),
  base: '/admin/',
  // The desktop's icon, so both faces of the product look the same in a tab.
  publicDir: here('../src-renderer/public'),
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [consolePolicyMeta()],
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    // The polyfill would be an inline script, which the CSP forbids; every current browser preloads modules.
    modulePreload: { polyfill: false },
    // Small icons stay files rather than data: URLs, so img-src could drop data: one day.
    assetsInlineLimit: 0,
    rollupOptions: { input: { index: here('index.html') } },
  },
});
