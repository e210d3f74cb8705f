// The checks every command of this repository makes before it starts (bin/*, npm start, npm test, npm run
// bench): the Node running it is one Electron 45 and the native modules were built for, and a child that
// dies says how. A system Node 20 in a new terminal otherwise crashes inside better-sqlite3 with no message.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** From package.json's engines.node (">=22.12.0"), so the two never disagree. */
const wanted = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const [minMajor = 0, minMinor = 0] = String(wanted)
  .replace(/^>=\s*/, '')
  .split('.')
  .map(Number);

/**
 * The one-line fix-it message when this Node is too old, else null.
 * @param {string} program
 * @param {string} [version] process.versions.node unless given
 * @param {string} [execPath]
 */
export function nodeVersionProblem(program, version = process.versions.node, execPath = process.execPath) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return null;
  return `${program}: needs Node ${wanted.replace(/^>=\s*/, '≥ ')}, but this is Node ${version} (${execPath}); run \`source .ci/node.sh\` in this shell (it installs Node 22 into .tools/), then try again.`;
}

/**
 * Exits with status 1 and the fix-it line when this Node is too old.
 * @param {string} program
 */
export function requireNode(program) {
  const problem = nodeVersionProblem(program);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

/** @type {Record<string, string>} */
const CAUSES = {
  SIGSEGV: 'it crashed (segmentation fault: often a native module built for another Node)',
  SIGBUS: 'it crashed (bus error)',
  SIGABRT: 'it aborted (often out of memory or a failed assertion inside Node)',
  SIGILL: 'it crashed (illegal instruction: a binary built for another CPU)',
  SIGKILL: 'it was killed (SIGKILL: the kernel out-of-memory killer or someone ran kill -9)',
  SIGTERM: 'it was asked to stop (SIGTERM)',
  SIGINT: 'it was interrupted (Ctrl-C)',
};

/**
 * How a child process ended, in words: "exit 3", or its signal with the likely cause.
 * @param {number | null} status
 * @param {NodeJS.Signals | null} signal
 */
export function exitCause(status, signal) {
  if (signal) {
    const number = constants.signals[signal];
    return `${CAUSES[signal] ?? `it was ended by ${signal}`}; signal ${number}`;
  }
  return `exit ${status}`;
}
