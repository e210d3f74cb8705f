import pkg from '../package.json' with { type: 'json' };

/** The package version. Imported rather than read at run time so the bundled agent carries it too. */
export const AGENT_VERSION: string = pkg.version;
