// Loads the web harness and the scripted test agent straight from their TypeScript sources (bundled with
// esbuild into node_modules/.cache), so the benches run the same code as the browser tests.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadHarness() {
  const outDir = path.join(root, 'node_modules/.cache/escrow-bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `harness-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: [
        "export { startWebDesktop } from './src-main/web/web-desktop.ts';",
        "export { FakeAgent, luksNeededStatus } from './test/desktop/fake-agent.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
