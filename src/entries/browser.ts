/**
 * `import { createEngine } from 'vigil'` in a browser page or a Web Worker (the `browser` and
 * `worker` export conditions): both .wasm files are fetched by URL, and bundlers (Vite, esbuild,
 * webpack) emit them as assets because they are named with `new URL(…, import.meta.url)`.
 */
import type { Engine } from '../engine/engine.js';
import { createBrowserEngine, type BrowserEngineOptions } from '../runtime/browser.js';

export * from '../index.js';
export { bundledVigilWasmUrl, createBrowserEngine } from '../runtime/browser.js';
export type { BrowserEngine, BrowserEngineOptions } from '../runtime/browser.js';

export async function createEngine(options: BrowserEngineOptions = {}): Promise<Engine> {
  return (await createBrowserEngine(options)).engine;
}
