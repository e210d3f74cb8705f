import { defineConfig } from 'vitest/config';

// Four projects, one runner. Unit tests sit beside their module (`*.test.ts`) and need nothing but Node
// and openssl: no cryptsetup, PostgreSQL, Chromium, build or running server (`npm run test:unit`, the fast
// loop). Integration tests (`*.integration.test.ts` beside their module, test/packaging, and test/readme for
// the commands README gives as written) drive real
// cryptsetup, PostgreSQL, another local account, a whole server over HTTP or the built programs; test/browser runs every screen in
// Chromium; test/e2e runs the programs together. Slow by nature, so timeouts are generous: speed goals live
// in bench/, never in test timeouts.
const SOURCE_ROOMS = '{ipc,node-lib,src-agent,src-server,src-main,src-renderer,src-console,web-harness}';

export default defineConfig({
  test: {
    exclude: ['node_modules/**', 'dist/**', '.tools/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [`${SOURCE_ROOMS}/**/*.test.{ts,tsx}`, 'test/architecture/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            `${SOURCE_ROOMS}/**/*.integration.test.ts`,
            'test/packaging/**/*.test.ts',
            'test/readme/**/*.test.ts',
          ],
        },
      },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
