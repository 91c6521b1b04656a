/**
 * The engine on Node: QuickJS and build/vigil.wasm are read from the installed package. Sandboxed
 * rules are measured in an estimate of this thread's CPU time (threadCpuEstimateMs).
 */
import { cpuUsage } from 'node:process';
import type { Engine, EngineOptions } from '../engine/engine.js';
import { loadQuickJS } from '../sandbox/load.js';
import { loadVigilWasmNode } from '../wasm/load-node.js';
import { createEngineWith, createHost } from './create-engine.js';

/** The process's CPU time in ms, all its threads together. */
export function processCpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/**
 * A clock that advances, between two readings, by the smaller of how far `cpu` and `wall` advanced.
 * Node 20 has no per-thread CPU clock, and each of the two it has overstates one thread's CPU time in
 * its own way: process CPU counts every other thread (V8 compiling QuickJS's WebAssembly in the
 * background, the garbage collector's helpers, the reading thread feeding a guarded engine), so a
 * rule was cut for work it did not do — 64 ms of a 100 ms HAVING budget was V8's tier-up on the
 * first crossing; wall time counts the time the machine ran something else. A thread's CPU time
 * never exceeds either increment, so their minimum, summed over the interrupt handler's frequent
 * readings, is the closer bound: one thread looping alone still advances it at full speed.
 */
export function minIncrementClock(cpu: () => number, wall: () => number): () => number {
  let lastCpu = cpu();
  let lastWall = wall();
  let elapsed = 0;
  return () => {
    const nowCpu = cpu();
    const nowWall = wall();
    elapsed += Math.max(0, Math.min(nowCpu - lastCpu, nowWall - lastWall));
    lastCpu = nowCpu;
    lastWall = nowWall;
    return elapsed;
  };
}

/** This thread's CPU time in ms, estimated as minIncrementClock of the process's CPU time and wall time. */
export const threadCpuEstimateMs: () => number = minIncrementClock(processCpuMs, () => performance.now());

/** Creates an engine with everything loaded for Node. */
export async function createNodeEngine(options: EngineOptions = {}): Promise<Engine> {
  const [quickjs, vigil] = await Promise.all([loadQuickJS(), loadVigilWasmNode()]);
  return createEngineWith(createHost(quickjs, vigil), { cpuClock: threadCpuEstimateMs, ...options });
}
