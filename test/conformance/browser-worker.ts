/**
 * Entry of the browser conformance run: a module Web Worker that loads QuickJS and Vigil's
 * WebAssembly from URLs, runs every case (posted in as data) through runConformance and posts the
 * outcomes back. Bundled by test/conformance/browser.test.ts with esbuild.
 */
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { loadQuickJS } from '../../src/sandbox/load.js';
import { createSandboxFactory } from '../../src/sandbox/sandbox.js';
import { createHotPaths } from '../../src/wasm/hotpaths.js';
import { loadVigilWasmUrl } from '../../src/wasm/load-url.js';
import { runConformance, type ConformanceCase } from './browser-harness.js';

const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(message: unknown): void };

scope.onmessage = async (event: MessageEvent<{ cases: ConformanceCase[] }>) => {
  try {
    const quickjsModule = await WebAssembly.compileStreaming(fetch(new URL('./emscripten-module.wasm', self.location.href)));
    const make = async (options: EngineOptions) => {
      const [quickjs, instance] = await Promise.all([loadQuickJS({ wasmModule: quickjsModule }), loadVigilWasmUrl(new URL('./vigil.wasm', self.location.href))]);
      return new Engine({ sandboxes: createSandboxFactory(quickjs), ...createHotPaths(instance) }, { ...options, clock: () => 0 });
    };
    scope.postMessage({ outcomes: await runConformance(event.data.cases, make) });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
};
