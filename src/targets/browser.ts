/**
 * The engine in a browser (a Web Worker or a page): loads QuickJS and Vigil's WebAssembly over
 * HTTP. With Vite, both .wasm files are emitted as assets of the build: QuickJS's through its
 * variant package, ours through the `new URL(…, import.meta.url)` below; other bundlers (esbuild,
 * webpack) find that literal URL too.
 */
import type { Engine, EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import type { HotPaths } from '../wasm/hotpaths.js';
import { loadVigilWasmUrl } from '../wasm/load-url.js';
import { createEngineWith, createHost } from './create-engine.js';

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

/** An engine, its hot paths (the web app's debugger reads the state tables) and how long loading took. */
export async function createBrowserEngine(options: BrowserEngineOptions = {}): Promise<BrowserEngine> {
  const { wasmUrl, ...engineOptions } = options;
  const started = performance.now();
  const [quickjs, vigil] = await Promise.all([loadQuickJS(), loadVigilWasmUrl(wasmUrl ?? bundledVigilWasmUrl())]);
  const host = createHost(quickjs, vigil);
  const engine = createEngineWith(host, engineOptions);
  const { iocSets, stateTables, windowBuffers } = host;
  return { engine, hotPaths: { iocSets, stateTables, windowBuffers }, loadMs: performance.now() - started };
}

/** An engine with everything loaded for the browser. */
export async function createEngine(options: BrowserEngineOptions = {}): Promise<Engine> {
  return (await createBrowserEngine(options)).engine;
}
