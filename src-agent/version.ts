import { readFileSync } from 'node:fs';

/** Stamped into the self-contained bundles by scripts/build.mjs; absent when running from src/ or dist/. */
declare const ESCROW_BUNDLED_VERSION: string | undefined;

/** The package version, read once from package.json (two levels up from src-agent/ and dist/src-agent/). */
function readVersion(): string {
  if (typeof ESCROW_BUNDLED_VERSION === 'string') return ESCROW_BUNDLED_VERSION;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'escrow-desktop' && pkg.version) return pkg.version;
    } catch {}
  }
  return '0.0.0';
}

export const AGENT_VERSION = readVersion();
