/**
 * The engine on Node: QuickJS and build/vigil.wasm are read from the installed package. Sandboxed
 * rules are measured in the process's CPU time.
 */
import { cpuUsage } from 'node:process';
import type { Engine, EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { loadVigilWasmNode } from '../wasm/load-node.js';
import { createEngineWith, createHost } from './create-engine.js';

/** The process's CPU time in ms: what a sandboxed rule used, not how long the machine kept us waiting. */
export function processCpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/** Creates an engine with everything loaded for Node. */
export async function createNodeEngine(options: EngineOptions = {}): Promise<Engine> {
  const [quickjs, vigil] = await Promise.all([loadQuickJS(), loadVigilWasmNode()]);
  return createEngineWith(createHost(quickjs, vigil), { cpuClock: processCpuMs, ...options });
}
