import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
    // The hostile-input suites measure memory coming back after a case; they collect garbage first.
    execArgv: ['--expose-gc'],
    env: { TZ: 'UTC' },
  },
});
