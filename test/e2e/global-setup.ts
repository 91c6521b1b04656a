/** Builds the web app into web-dist/ once before the end-to-end tests (skip with VIGIL_E2E_NO_BUILD=1). */
import { existsSync } from 'node:fs';
import { build } from 'vite';

export default async function setup(): Promise<void> {
  if (process.env.VIGIL_E2E_NO_BUILD && existsSync('web-dist/index.html')) return;
  if (!existsSync('build/vigil.wasm')) throw new Error('build/vigil.wasm is missing: run `npm run asbuild` first');
  // vitest sets NODE_ENV=test, which would make Vite resolve development builds (lit's dev mode).
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: 'vite.config.ts', mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = previous;
  }
}
