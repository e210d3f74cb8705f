import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Builds the agent's CLIs into single files so tests can run them as real processes without `npm run
 * build`. npm packages stay external and resolve from the repository's node_modules, hence the location.
 */
export async function bundleClis(): Promise<{ agent: string; ctl: string }> {
  const outdir = path.resolve('node_modules/.cache/escrow-agent-tests', String(process.pid));
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: {
      'escrow-agent': 'src-agent/cli/escrow-agent.ts',
      escrowctl: 'src-agent/cli/escrowctl.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  return { agent: path.join(outdir, 'escrow-agent.mjs'), ctl: path.join(outdir, 'escrowctl.mjs') };
}
