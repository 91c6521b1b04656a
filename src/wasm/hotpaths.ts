/**
 * The hot paths of one instantiated Vigil module, bound for the engine. The engine never loads
 * WebAssembly itself: a runtime-specific loader (load-node, load-url, load-module) instantiates
 * build/vigil.wasm and hands the instance here.
 */
import { WasmIocSetFactory } from './cuckoo.js';
import { vigilExports } from './exports.js';
import { Scratch } from './scratch.js';
import { WasmStateTableFactory } from './state-table.js';
import { WasmWindowBufferFactory } from './window-buffers.js';

/** The engine's WebAssembly ports (src/engine/ports.ts), as their concrete classes. */
export interface HotPaths {
  /** IOC sets (cuckoo filters); all sets live in this instance's memory. */
  iocSets: WasmIocSetFactory;
  /** Per-key state tables and transition programs (state-machine rules). */
  stateTables: WasmStateTableFactory;
  /** Pane/key bookkeeping of event-time windows (aggregation rules). */
  windowBuffers: WasmWindowBufferFactory;
}

export function createHotPaths(instance: WebAssembly.Instance): HotPaths {
  const exports = vigilExports(instance);
  const scratch = new Scratch(exports);
  return {
    iocSets: new WasmIocSetFactory(exports, scratch),
    stateTables: new WasmStateTableFactory(exports, scratch),
    windowBuffers: new WasmWindowBufferFactory(exports, scratch),
  };
}
