/**
 * The benchmarks service: src/bench's benchmarks at small sizes, run in the worker on the engine's
 * WebAssembly hot paths (the engine pauses meanwhile). The modules load on first use.
 */
import type { HotPaths } from '../../../src/wasm/hotpaths.js';
import type { BenchmarkInfo, BenchmarkResult } from '../../../src/runtime/worker/protocol.js';
import { messageOf, notifyPage } from './context.js';

/** A benchmark module of src/bench: `run…(hotPaths, options)` returning a table. */
export interface BenchModule {
  info: BenchmarkInfo;
  run(hot: HotPaths, options: { progress?: (message: string) => void }): { columns: string[]; rows: Record<string, string | number>[]; notes: string[] };
}

export class BenchmarksService {
  private modules: Promise<BenchModule[]> | undefined;

  constructor(
    private readonly hotPaths: HotPaths | undefined,
    private readonly load: (() => Promise<BenchModule[]>) | undefined,
  ) {}

  async benchmarks(): Promise<{ available: BenchmarkInfo[]; unavailable?: string }> {
    if (!this.hotPaths) return { available: [], unavailable: 'this engine was built without access to its WebAssembly hot paths' };
    try {
      const modules = await this.loadModules();
      if (!modules.length) return { available: [], unavailable: 'this build has no benchmark modules (src/bench)' };
      return { available: modules.map((m) => m.info) };
    } catch (error) {
      return { available: [], unavailable: `the benchmark modules could not be loaded: ${messageOf(error)}` };
    }
  }

  async runBenchmark(name: string, onProgress?: (message: string) => void): Promise<BenchmarkResult> {
    const modules = await this.loadModules();
    const module = modules.find((m) => m.info.name === name);
    if (!module || !this.hotPaths) throw new Error(`no benchmark "${name}" in this build`);
    const started = performance.now();
    const result = module.run(this.hotPaths, { progress: (message) => notifyPage(onProgress, message) });
    return { name, ...result, ms: performance.now() - started };
  }

  private loadModules(): Promise<BenchModule[]> {
    this.modules ??= this.load ? this.load() : Promise.resolve([]);
    return this.modules;
  }
}
