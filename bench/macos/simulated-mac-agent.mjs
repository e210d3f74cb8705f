// The real agent (dist/), forced to darwin, as its own process: the bench's server and its timer run in the
// parent, so the agent's event loop is not shared with them. The Mac's tools answer from the recorded
// outputs in test/fixtures/macos through the FixtureRunner (FileVault on, Escrow Buddy in the login right,
// GenerateNewKey 0). The PRK watcher is real, on a temp directory. As in test/e2e/macos-simulated-mac.ts,
// GenerateNewKey is machine state: the server asks a new host for a key, so the agent arms Escrow Buddy
// (`defaults write … true`) and later stands it down, and each write changes what `defaults read` prints.
// Usage (from prk-latency.mjs): node simulated-mac-agent.mjs '<json options>'
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createLogger } from '../../dist/node-lib/logger.js';
import { formatCommandLine } from '../../dist/src-agent/macos/command-runner.js';
import { startAgent } from '../../dist/src-agent/start-agent.js';

/** @import { CommandRunner } from '../../dist/src-agent/macos/command-runner.js' */
/** @import { Recording } from '../../src-agent/macos/test-support/fixture-runner.js' */
/**
 * What prk-latency.mjs passes (argv[2], as JSON).
 * @typedef {{
 *   serverUrl: string,
 *   secretFile: string,
 *   stateDir: string,
 *   socketPath: string,
 *   prkPath: string,
 *   bundle: string,
 * }} SimulatedMacOptions
 */

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The FixtureRunner is a test double (src-agent/macos/test-support/), which the build leaves out of dist/:
 * bundled here from its TypeScript source with esbuild into dist/.bench, as bench/desktop/load-harness.mjs
 * does for the web harness.
 */
async function loadFixtureRunner() {
  const outDir = path.join(root, 'dist/.bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `fixture-runner-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(root, 'src-agent/macos/test-support/fixture-runner.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    return /** @type {typeof import('../../src-agent/macos/test-support/fixture-runner.js')} */ (
      await import(pathToFileURL(outfile).href)
    );
  } finally {
    rmSync(outfile, { force: true });
  }
}

const [, , optionsJson] = process.argv;
if (optionsJson === undefined) throw new Error("usage: node simulated-mac-agent.mjs '<json options>'");
/** @type {SimulatedMacOptions} */
const o = JSON.parse(optionsJson);
const { FixtureRunner } = await loadFixtureRunner();
const fixtures = path.join(root, 'src-agent/macos/fixtures');
const manifest = JSON.parse(readFileSync(path.join(fixtures, 'recordings.json'), 'utf8'));
/**
 * @param {string} name
 * @returns {Recording}
 */
const recording = (name) => {
  const e = manifest[name];
  /** @param {string | undefined} f */
  const read = (f) => (f ? readFileSync(path.join(fixtures, f), 'utf8') : '');
  return { argv: e.argv, code: e.code, stdout: read(e.stdout), stderr: read(e.stderr) };
};
const recorded = new FixtureRunner(
  [
    'fdesetup-status-on',
    'fdesetup-haspersonalrecoverykey-true',
    'authdb-read-with-escrow-buddy',
    'defaults-read-generatenewkey-0',
    'defaults-read-managed-generatenewkey-missing',
    'defaults-write-generatenewkey-true',
    'defaults-write-generatenewkey-false',
    'ioreg-platform-expert-device',
    'sw-vers-productversion',
  ].map(recording),
);
const flagWrites = new Map(
  [true, false].map((value) => {
    const [cmd = '', ...args] = recording(`defaults-write-generatenewkey-${value}`).argv;
    return [formatCommandLine(cmd, args), recording(`defaults-read-generatenewkey-${value ? 1 : 0}`)];
  }),
);
/** @type {CommandRunner} */
const runner = {
  async run(cmd, args, opts) {
    const result = await recorded.run(cmd, args, opts);
    const readAfter = flagWrites.get(formatCommandLine(cmd, args));
    if (readAfter && result.code === 0) recorded.replace(readAfter);
    return result;
  },
};

const agent = await startAgent({
  platform: 'darwin',
  macos: { runner, prkPath: o.prkPath, escrowBuddyBundle: o.bundle },
  serverUrl: o.serverUrl,
  enrollSecretFile: o.secretFile,
  stateDir: o.stateDir,
  socketPath: o.socketPath,
  allowUsers: [],
  log: createLogger('escrow-agent', { level: 'warn' }),
});
process.send?.('ready');
process.once('SIGTERM', () => void agent.stop().then(() => process.exit(0)));
