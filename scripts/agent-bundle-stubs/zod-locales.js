// The agent bundle's zod locales namespace (see index.mjs): English only, the language zod installs itself.
export { default as en } from 'zod/v4/locales/en.js';
