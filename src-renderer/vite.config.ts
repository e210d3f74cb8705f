import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { cspMetaTag, RENDERER_CSP } from '../src-main/renderer-policy.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The app's page loads its script as a classic deferred script, not as a module. Chromium keeps V8's
 * compiled code of a classic script between windows (the code cache: the app:// scheme is registered
 * with codeCache), but in our traces (Chromium 156) it compiled the module script afresh for every window:
 * ~35 ms of parsing on a background thread the page waited for, plus compiling React's functions again
 * as they first ran. As a classic script the dialog was interactive 50-80 ms sooner (p50, interleaved
 * runs on this VM under load; bench/desktop/dialog-breakdown.mjs shows the steps). The bundle imports and
 * exports nothing, so wrapped in a strict function it runs exactly as the module did, without leaking
 * names to `window`.
 */
function classicAppScript(): Plugin {
  return {
    name: 'escrow-classic-app-script',
    apply: 'build',
    // After minifying (which drops a "use strict" it thinks redundant in a module); the wrapper is the same
    // for every build, so the file name's content hash still changes whenever the code does.
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry || chunk.name !== 'index') continue;
        if (chunk.imports.length > 0 || chunk.dynamicImports.length > 0 || chunk.exports.length > 0) {
          throw new Error('the app bundle must be self-contained to load as a classic script');
        }
        chunk.code = `(()=>{"use strict";${chunk.code}\n})();\n`;
      }
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (ctx.filename !== here('index.html')) return html;
        const classic = html.replace(
          /<script type="module" crossorigin src="(\.\/assets\/index-[\w-]+\.js)"><\/script>/,
          '<script defer src="$1"></script>',
        );
        if (classic === html) throw new Error('index.html: the app script tag was not found');
        return classic;
      },
    },
  };
}

/**
 * The page's CSP meta tag, written from the one policy (src-main/renderer-policy.ts) instead of by hand,
 * so it cannot drift from the header main sends. The header alone would do in Electron; the tag keeps the
 * policy with the page wherever it is loaded (the web harness replaces it with its own, derived one).
 */
function rendererPolicyMeta(): Plugin {
  const anchor = '<meta charset="utf-8" />';
  return {
    name: 'escrow-renderer-policy-meta',
    transformIndexHtml(html) {
      if (!html.includes(anchor)) throw new Error(`index.html: ${anchor} was not found`);
      return html.replace(anchor, `${anchor}\n    ${cspMetaTag(RENDERER_CSP)}`);
    },
  };
}

// The renderer is plain React compiled by Vite's own transformer (no React plugin: no fast refresh needed
// for four small screens). base './' because Electron loads the files from the app:// protocol.
export default defineConfig({
  root: here('.'),
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [rendererPolicyMeta(), classicAppScript()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: { input: { index: here('index.html') } },
  },
});
