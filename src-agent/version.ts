import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two levels up from src-agent/ and dist/src-agent/). */
function readVersion(): string {
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
