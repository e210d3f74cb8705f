import { defineConfig } from 'vitest/config';

// One runner for unit, integration and browser (playwright-core) tests.
// Tests that drive cryptsetup, PostgreSQL or Chromium are slow by nature, so timeouts are generous;
// speed goals live in bench/, never in test timeouts.
export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**', '.tools/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
