/**
 * The browser target under its former path, for the importers that still use it (the web app's
 * worker and widget). The factory itself is src/targets/browser.ts.
 */
export { bundledVigilWasmUrl, createBrowserEngine } from '../targets/browser.js';
export type { BrowserEngine, BrowserEngineOptions } from '../targets/browser.js';
