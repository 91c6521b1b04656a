/**
 * An engine on workerd. Both WebAssembly modules arrive as imported, precompiled modules (workerd
 * forbids compiling bytes): QuickJS's through its variant's `wasmModule` option, Vigil's through
 * instantiateVigilModule. Nothing here evaluates code or compiles WebAssembly.
 *
 * A partition runs one engine per routing class; they share one QuickJS module and one Vigil
 * instance per isolate (engines run one at a time, and each keeps its own sets, tables and
 * sandboxes in them), so a class costs its rules' state, not another copy of the runtimes.
 */
import quickjsWasm from '@jitl/quickjs-wasmfile-release-sync/wasm';
import vigilWasm from '../../../build/vigil.wasm';
import { Engine, type EngineHost, type EngineOptions } from '../../engine/engine.js';
import { loadQuickJS } from '../../sandbox/load.js';
import { createSandboxFactory } from '../../sandbox/sandbox.js';
import { createHotPaths } from '../../wasm/hotpaths.js';
import { instantiateVigilModule } from '../../wasm/load-module.js';

let host: Promise<EngineHost> | undefined;

async function loadHost(): Promise<EngineHost> {
  const [quickjs, instance] = await Promise.all([loadQuickJS({ wasmModule: quickjsWasm }), instantiateVigilModule(vigilWasm)]);
  return { sandboxes: createSandboxFactory(quickjs), ...createHotPaths(instance) };
}

export async function createWorkerdEngine(options: EngineOptions = {}): Promise<Engine> {
  host ??= loadHost().catch((error: unknown) => {
    host = undefined;
    throw error;
  });
  return new Engine(await host, options);
}
