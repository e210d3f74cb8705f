import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The browser harness's own page (a simulated desktop) and the bridge that stands in for Electron's
// preload, built apart from the app's renderer so nothing of the harness can reach the packaged app. The
// harness server serves this folder under /web/ beside the app's renderer.
export default defineConfig({
  root: here('page'),
  base: './',
  build: {
    outDir: here('../dist/web-harness/page'),
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { desktop: here('page/desktop.html'), bridge: here('page/bridge.ts') },
      // The bridge carries a content hash, like every asset, so browsers may cache it for good.
      output: {
        entryFileNames: (chunk) => (chunk.name === 'bridge' ? 'bridge-[hash].js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});
