// Stand-ins that the AGENT bundle (dist/agent/agent.cjs, the agent executable's script) uses instead of a few modules
// its dependencies import but the agent never needs. The agent is a long-running root service judged on its
// idle memory (issue 5: ≤ 60 MB): every built-in Node module it loads costs resident memory (its source and
// code cache are read from the node binary, its objects live on the heap), and every byte of bundled source
// stays in V8's heap for the life of the process. The server and tests use the real modules.
//
// Each replacement applies only to the named importers, so a new dependency that needs the real module
// still gets it. Nothing here changes what the agent does:
//   - pino requires thread-stream for transports (worker threads); the agent logs to stdout and never asks
//     for a transport, so thread-stream becomes a module that throws if one is ever constructed.
//   - pino reads worker_threads only for `isMainThread` (flush-on-exit is registered on the main thread);
//     the agent never starts a worker, so it always is the main thread.
//   - sonic-boom (pino's stdout writer) requires assert for one internal check; a plain throw does the same.
//   - zod re-exports its ~40 translations (`z.locales`, `z.core.locales`, about 300 KB of source); zod
//     itself installs English through a direct import of locales/en.js, and the agent never picks another
//     language, so the namespace keeps only `en`.
import { builtinModules } from 'node:module';
import path from 'node:path';

/** @import { Plugin } from 'esbuild' */

const here = import.meta.dirname;

/** @type {[name: string, importers: string[], file: string][]} [module name, importer packages, stand-in file] */
const REPLACEMENTS = [
  ['thread-stream', ['pino'], 'thread-stream.cjs'],
  ['worker_threads', ['pino'], 'worker-threads.cjs'],
  ['assert', ['sonic-boom'], 'assert.cjs'],
  ['../locales/index.js', ['zod'], 'zod-locales.js'],
];

/**
 * @param {string} importer a file's path
 * @returns {string | undefined} the package under node_modules/ it belongs to, if any
 */
function packageOf(importer) {
  const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(importer);
  return match?.[1];
}

/**
 * esbuild plugin for the agent bundle only.
 * @type {Plugin}
 */
export const agentBundleStubs = {
  name: 'agent-bundle-stubs',
  setup(build) {
    for (const [name, importers, file] of REPLACEMENTS) {
      const filter = new RegExp(`^(node:)?${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      build.onResolve({ filter }, (args) => {
        const pkg = packageOf(args.importer);
        return pkg !== undefined && importers.includes(pkg) ? { path: path.join(here, file) } : undefined;
      });
    }
  },
};

/**
 * esbuild plugin for the agent bundle only: Node built-ins are read one name at a time, when the code uses
 * the name. Several exports of built-ins are V8 lazy properties that load more modules the moment anything
 * inspects them: `node:util` loads worker_threads, the assert diff code and parseArgs, `node:crypto` WebCrypto,
 * `node:fs` its directory code, `node:http` the whole undici client (for its WebSocket exports). An ES import of a built-in makes Node build a namespace that reads them all,
 * and esbuild's CommonJS interop (`__toESM`) copies every own property descriptor, which reads them as well.
 * So each ES import of a built-in becomes a require() (the bundle's createRequire banner) of an object whose
 * prototype is the module: esbuild finds no own property to copy, and `parseArgs` or `os.tmpdir` resolve
 * through the prototype when they are first used. Only functions and values are read that way; nothing
 * calls a built-in's method with this object as `this` except default imports (`os.tmpdir()`, `path.join()`,
 * `net.createServer()`), whose functions do not use `this`.
 * @type {Plugin}
 */
export const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^[a-z_]/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtins.has(name)) return undefined;
      return { path: `node:${name}`, namespace: 'builtin-by-require' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      contents: `module.exports = Object.create(require(${JSON.stringify(args.path)}));`,
      loader: 'js',
    }));
  },
};
