import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The renderer is plain React compiled by Vite's own transformer (no React plugin: no fast refresh needed
// for four small screens). base './' because Electron loads the files from the app:// protocol.
// web/ holds the browser harness's bridge and simulated desktop; the packaged app excludes it.
export default defineConfig({
  root: here('.'),
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: here('index.html'),
        desktop: here('web/desktop.html'),
        bridge: here('web/bridge.ts'),
      },
      output: {
        // The bridge stays under web/ (the app's protocol refuses that folder) and, like every asset, carries
        // a content hash so the harness can let browsers cache it for good.
        entryFileNames: (chunk) =>
          chunk.name === 'bridge' ? 'web/bridge-[hash].js' : 'assets/[name]-[hash].js',
      },
    },
  },
});
