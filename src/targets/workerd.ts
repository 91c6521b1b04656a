/**
 * The engine on workerd (Cloudflare Workers). Both WebAssembly modules arrive as imported,
 * precompiled modules (workerd forbids compiling bytes): QuickJS's through its variant's
 * `wasmModule` option, Vigil's through instantiateVigilModule. Nothing here evaluates code or
 * compiles WebAssembly; wrangler, workerd and our esbuild build (scripts/edge-build.mjs) turn the
 * `.wasm` imports into modules (declared in ./wasm-modules.d.ts).
 *
 * A partition runs one engine per routing class; they share one QuickJS module and one Vigil
 * instance per isolate (engines run one at a time, and each keeps its own sets, tables and
 * sandboxes in them), so a class costs its rules' state, not another copy of the runtimes.
 */
// Both by paths ending in .wasm, so wrangler's default CompiledWasm rule (and esbuild's loaders)
// match them from this repository and from the package in a user's node_modules. QuickJS's module
// is a copy of @jitl/quickjs-wasmfile-release-sync's (scripts/copy-quickjs-wasm.mjs): that package
// exports it only as `…/wasm`, a specifier no extension rule matches.
import quickjsWasm from '../../build/emscripten-module.wasm';
import vigilWasm from '../../build/vigil.wasm';
import type { Engine, EngineHost, EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { instantiateVigilModule } from '../wasm/load-module.js';
import { createEngineWith, createHost } from './create-engine.js';

let host: Promise<EngineHost> | undefined;

async function loadHost(): Promise<EngineHost> {
  const [quickjs, vigil] = await Promise.all([loadQuickJS({ wasmModule: quickjsWasm }), instantiateVigilModule(vigilWasm)]);
  return createHost(quickjs, vigil);
}

/** An engine on this isolate's shared host (loaded on first use; a failed load is tried again next time). */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  host ??= loadHost().catch((error: unknown) => {
    host = undefined;
    throw error;
  });
  return createEngineWith(await host, options);
}
