/**
 * The engine on Deno and Deno Deploy: both .wasm files are fetched from URLs — by default the
 * installed package's (file: URLs next to this module), so it works from node_modules and from
 * npm: specifiers alike; the Deno server (src/edge/deno/main.ts) passes the copies beside its bundle.
 */
import type { Engine, EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { loadVigilWasmUrl } from '../wasm/load-url.js';
import { createEngineWith, createHost } from './create-engine.js';

export interface DenoEngineOptions extends EngineOptions {
  /** Where vigil.wasm is; default: build/vigil.wasm of the package. */
  wasmUrl?: string | URL;
  /** Where QuickJS's emscripten-module.wasm is; default: resolved from its package. */
  quickjsWasmUrl?: string | URL;
}

/** An engine with everything loaded for Deno. */
export async function createEngine(options: DenoEngineOptions = {}): Promise<Engine> {
  const { wasmUrl, quickjsWasmUrl, ...engineOptions } = options;
  const quickjsUrl = quickjsWasmUrl ?? import.meta.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  const [quickjsModule, vigil] = await Promise.all([
    fetch(quickjsUrl).then(async (response) => {
      if (!response.ok) throw new Error(`QuickJS WebAssembly at ${String(quickjsUrl)} answered ${response.status}`);
      return WebAssembly.compile(await response.arrayBuffer());
    }),
    loadVigilWasmUrl(wasmUrl ?? new URL('../../build/vigil.wasm', import.meta.url)),
  ]);
  const quickjs = await loadQuickJS({ wasmModule: quickjsModule });
  return createEngineWith(createHost(quickjs, vigil), engineOptions);
}
