// Electronegativity's TypeScript parser (@typescript-eslint/typescript-estree, hoisted to the top of
// node_modules) would load the project's TypeScript 7, which has no compiler API. Point it at the
// TypeScript 4 that electronegativity itself depends on. Loaded with `node --require` in its own process.
const Module = require('node:module');
const path = require('node:path');

const ownTypescript = require.resolve('typescript', {
  paths: [path.dirname(require.resolve('@doyensec/electronegativity/package.json'))],
});
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'typescript' && parent?.filename?.includes(`${path.sep}@typescript-eslint${path.sep}`)) {
    return ownTypescript;
  }
  return resolve.call(this, request, parent, ...rest);
};
