/**
 * `import { createEngine } from 'vigil-engine'` in a browser page or a Web Worker (the `browser` and
 * `worker` export conditions): the public API and the browser target (src/targets/browser.ts).
 */
export * from '../index.js';
export { bundledVigilWasmUrl, createBrowserEngine, createEngine } from '../targets/browser.js';
export type { BrowserEngine, BrowserEngineOptions } from '../targets/browser.js';
