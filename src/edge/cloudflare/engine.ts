/**
 * An engine on workerd. Both WebAssembly modules arrive as imported, precompiled modules (workerd
 * forbids compiling bytes): QuickJS's through its variant's `wasmModule` option, Vigil's through
 * instantiateVigilModule. Nothing here evaluates code or compiles WebAssembly.
 */
import quickjsWasm from '@jitl/quickjs-wasmfile-release-sync/wasm';
import vigilWasm from '../../../build/vigil.wasm';
import { Engine, type EngineOptions } from '../../engine/engine.js';
import { loadQuickJS } from '../../sandbox/load.js';
import { createHotPaths } from '../../wasm/hotpaths.js';
import { instantiateVigilModule } from '../../wasm/load-module.js';

export async function createWorkerdEngine(options: EngineOptions = {}): Promise<Engine> {
  const [quickjs, instance] = await Promise.all([loadQuickJS({ wasmModule: quickjsWasm }), instantiateVigilModule(vigilWasm)]);
  const hot = createHotPaths(instance);
  return new Engine({ quickjs, ...hot }, options);
}
