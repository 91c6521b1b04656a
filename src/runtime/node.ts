/** The engine on Node: loads QuickJS and Vigil's WebAssembly from the package, then builds an Engine. */
import { cpuUsage } from 'node:process';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { createSandboxFactory } from '../sandbox/sandbox.js';
import { createHotPaths } from '../wasm/hotpaths.js';
import { loadWasmNode } from '../wasm/load-node.js';

/** The process's CPU time in ms: what a sandboxed rule used, not how long the machine kept us waiting. */
export function processCpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/** Creates an engine with everything loaded for Node. */
export async function createNodeEngine(options: EngineOptions = {}): Promise<Engine> {
  const [quickjs, instance] = await Promise.all([loadQuickJS(), loadWasmNode()]);
  return new Engine({ sandboxes: createSandboxFactory(quickjs), ...createHotPaths(instance) }, { cpuClock: processCpuMs, ...options });
}
