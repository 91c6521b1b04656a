/** The engine on Node: loads QuickJS and Vigil's WebAssembly from the package, then builds an Engine. */
import { Engine, type EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { createHotPaths } from '../wasm/hotpaths.js';
import { loadWasmNode } from '../wasm/load-node.js';

/** Creates an engine with everything loaded for Node. */
export async function createNodeEngine(options: EngineOptions = {}): Promise<Engine> {
  const [quickjs, instance] = await Promise.all([loadQuickJS(), loadWasmNode()]);
  const hotPaths = createHotPaths(instance);
  return new Engine({ quickjs, iocSets: hotPaths.iocSets, stateTables: hotPaths.stateTables }, options);
}
