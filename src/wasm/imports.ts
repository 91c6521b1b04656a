/**
 * The host imports of the Vigil WebAssembly module, defined once for every runtime.
 * The module's only import is `env.abort` (AssemblyScript's assertion/trap hook).
 */

/** What a loader gets: the imports object to instantiate with, and a hook to attach the instance. */
export interface VigilImports {
  imports: WebAssembly.Imports;
  /** Gives the abort handler access to the module's memory (to read its message). */
  attach(instance: WebAssembly.Instance): WebAssembly.Instance;
}

/** Error thrown when the module aborts (a failed assertion inside WebAssembly). */
export class WasmAbortError extends Error {
  override name = 'WasmAbortError';
}

export function createImports(): VigilImports {
  let memory: WebAssembly.Memory | undefined;
  const readString = (ptr: number): string => {
    if (!memory || ptr === 0) return '';
    const bytes = new Uint8Array(memory.buffer);
    const p = ptr >>> 0;
    // AssemblyScript strings: UTF-16LE, byte length in the u32 just before the data.
    const byteLength = new DataView(memory.buffer).getUint32(p - 4, true);
    let s = '';
    for (let i = 0; i + 1 < byteLength; i += 2) s += String.fromCharCode(bytes[p + i]! | (bytes[p + i + 1]! << 8));
    return s;
  };
  const imports: WebAssembly.Imports = {
    env: {
      abort(message: number, fileName: number, line: number, column: number): never {
        throw new WasmAbortError(`wasm abort: ${readString(message)} at ${readString(fileName)}:${line >>> 0}:${column >>> 0}`);
      },
    },
  };
  return {
    imports,
    attach(instance) {
      memory = instance.exports['memory'] as WebAssembly.Memory;
      return instance;
    },
  };
}
