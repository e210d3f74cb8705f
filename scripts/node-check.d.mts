// Types of node-check.mjs for the TypeScript tests that import it (test/readme/).
export function nodeVersionProblem(program: string, version?: string, execPath?: string): string | null;
export function requireNode(program: string): void;
export function exitCause(status: number | null, signal: NodeJS.Signals | null): string;
