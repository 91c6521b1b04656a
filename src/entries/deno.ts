/**
 * `import { createEngine } from 'vigil'` on Deno and Deno Deploy (the `deno` export condition):
 * both .wasm files are read from the installed package (file: URLs next to this module), so it
 * works from node_modules and from npm: specifiers alike.
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { createSandboxFactory } from '../sandbox/sandbox.js';
import { createHotPaths } from '../wasm/hotpaths.js';
import { loadVigilWasmUrl } from '../wasm/load-url.js';

export * from '../index.js';

export interface DenoEngineOptions extends EngineOptions {
  /** Where vigil.wasm is; default: build/vigil.wasm of the package. */
  wasmUrl?: string | URL;
  /** Where QuickJS's emscripten-module.wasm is; default: resolved from its package. */
  quickjsWasmUrl?: string | URL;
}

export async function createEngine(options: DenoEngineOptions = {}): Promise<Engine> {
  const { wasmUrl, quickjsWasmUrl, ...engineOptions } = options;
  const quickjsUrl = quickjsWasmUrl ?? import.meta.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  const [quickjsModule, instance] = await Promise.all([
    fetch(quickjsUrl).then(async (response) => {
      if (!response.ok) throw new Error(`QuickJS WebAssembly at ${String(quickjsUrl)} answered ${response.status}`);
      return WebAssembly.compile(await response.arrayBuffer());
    }),
    loadVigilWasmUrl(wasmUrl ?? new URL('../../build/vigil.wasm', import.meta.url)),
  ]);
  const quickjs = await loadQuickJS({ wasmModule: quickjsModule });
  return new Engine({ sandboxes: createSandboxFactory(quickjs), ...createHotPaths(instance) }, engineOptions);
}
