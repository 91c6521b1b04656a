/**
 * Loads the QuickJS WebAssembly module that every rule sandbox runs in.
 *
 * Works on Node, in browsers (Vite), Deno and workerd. The variant package picks the right
 * Emscripten loader through its `exports` conditions; on workerd, where compiling WebAssembly from
 * bytes is forbidden, the caller imports the `.wasm` file as a module and passes it here.
 * `getQuickJS()` is deliberately not used: it hangs on workerd and pins a singleton we do not want.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';

// The variant's typings are CommonJS-shaped (TypeScript sees `{ default: variant }`), while ESM
// loaders hand us the variant itself; accept both.
const releaseSyncVariant = ((releaseSync as unknown as { default?: QuickJSSyncVariant }).default ??
  releaseSync) as unknown as QuickJSSyncVariant;

export interface LoadQuickJSOptions {
  /** A precompiled QuickJS module, e.g. `import wasm from '…/emscripten-module.wasm'` on workerd. */
  wasmModule?: WebAssembly.Module;
}

/**
 * Creates a fresh, isolated QuickJS WebAssembly module. Share one module among all rules of an
 * engine: each rule gets its own QuickJS runtime (with its own limits) inside it.
 */
export function loadQuickJS(options: LoadQuickJSOptions = {}): Promise<QuickJSWASMModule> {
  const variant =
    options.wasmModule === undefined
      ? releaseSyncVariant
      : newVariant(releaseSyncVariant, { wasmModule: options.wasmModule });
  return newQuickJSWASMModuleFromVariant(variant);
}
