/**
 * The one place an engine is made from loaded pieces. Each platform target (node.ts, browser.ts,
 * deno.ts, workerd.ts in this folder) loads the two WebAssembly modules the way its platform
 * allows — read from disk, fetched by URL, imported as precompiled modules — and ends here:
 *
 *   const host = createHost(quickjs, vigilInstance);
 *   const engine = createEngineWith(host, options);
 *
 * So what an engine needs from its host is assembled the same way everywhere, and a change of the
 * host type is made once.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import { Engine, type EngineHost, type EngineOptions } from '../engine/engine.js';
import { createSandboxFactory } from '../sandbox/sandbox.js';
import { createHotPaths, type HotPaths } from '../wasm/hotpaths.js';

/** An engine host, with the hot paths named as their WebAssembly classes (the browser's debugger reads the state tables). */
export type Host = EngineHost & HotPaths;

/**
 * The host of an engine from the QuickJS module every rule sandbox runs in and an instance of
 * build/vigil.wasm (IOC sets, state tables and window buffers live in its memory). Engines made
 * with one host share both; they run one at a time and each keeps its own sets, tables and sandboxes.
 */
export function createHost(quickjs: QuickJSWASMModule, vigil: WebAssembly.Instance): Host {
  return { sandboxes: createSandboxFactory(quickjs), ...createHotPaths(vigil) };
}

/** An engine over a host. Every platform's `createEngine` ends here. */
export function createEngineWith(host: EngineHost, options: EngineOptions = {}): Engine {
  return new Engine(host, options);
}
