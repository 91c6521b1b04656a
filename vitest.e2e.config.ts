/**
 * End-to-end tests: the built web app (web-dist/, built by test/e2e/global-setup.ts) served on
 * 127.0.0.1 and driven in Debian's Chromium (/usr/bin/chromium) with playwright-core.
 * Run with `vitest run -c vitest.e2e.config.ts`. Screenshots go to test-artifacts/.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    env: { TZ: 'UTC' },
  },
});
