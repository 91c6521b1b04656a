/**
 * The engine in a browser (a Web Worker or a page): loads QuickJS and Vigil's WebAssembly over
 * HTTP, then builds an Engine. With Vite, both .wasm files are emitted as assets of the build:
 * QuickJS's through its variant package, ours through the `new URL(…, import.meta.url)` below.
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { createSandboxFactory } from '../sandbox/sandbox.js';
import { createHotPaths, type HotPaths } from '../wasm/hotpaths.js';
import { loadVigilWasmUrl } from '../wasm/load-url.js';

export interface BrowserEngineOptions extends EngineOptions {
  /** Where build/vigil.wasm is served; defaults to the bundled asset. */
  wasmUrl?: string | URL;
}

export interface BrowserEngine {
  engine: Engine;
  hotPaths: HotPaths;
  /** Milliseconds spent loading both WebAssembly modules. */
  loadMs: number;
}

/** The bundled build/vigil.wasm (the literal URL lets bundlers find and emit the file). */
export function bundledVigilWasmUrl(): URL {
  return new URL('../../build/vigil.wasm', import.meta.url);
}

export async function createBrowserEngine(options: BrowserEngineOptions = {}): Promise<BrowserEngine> {
  const { wasmUrl, ...engineOptions } = options;
  const started = performance.now();
  const [quickjs, instance] = await Promise.all([loadQuickJS(), loadVigilWasmUrl(wasmUrl ?? bundledVigilWasmUrl())]);
  const hotPaths = createHotPaths(instance);
  const engine = new Engine({ sandboxes: createSandboxFactory(quickjs), ...hotPaths }, engineOptions);
  return { engine, hotPaths, loadMs: performance.now() - started };
}
