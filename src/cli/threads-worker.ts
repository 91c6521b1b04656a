/**
 * One thread of `vigil run --threads N` beyond the first (src/cli/threads.ts): an engine set up
 * from the same files as the main thread's, running the blocks it is sent. Guarded, the engine is
 * a GuardedEngine (its own engine thread under the same watchdog as the main thread's) and this
 * thread only waits on it; with --no-guard the engine runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineOptions } from '../engine/engine.js';
import { alertLineEncoder } from '../io/to-alerts.js';
import { createNodeEngine } from '../targets/node.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { setUpEngine } from './setup.js';
import { BlockRunner } from './threads.js';
import type { DriverData, DriverReply, DriverRequest, DriverStart } from './threads-pool.js';

const start = workerData as DriverStart;
const port = parentPort!;
const create: (options: EngineOptions) => Promise<EngineSurface> = GuardedEngine.factory(start.guard) ?? createNodeEngine;
/**
 * The engine is started with the thread, while the main thread loads the rules and finds out
 * whether they can be shared at all (its threads and WebAssembly take a while to start); the rules
 * and lists come with `init`. Not with a Sigma pipeline: the engine takes it when it is created.
 */
const early = start.engineOptions ? create(start.engineOptions) : undefined;
early?.catch(() => undefined);

let engine: EngineSurface | undefined;
let runner: BlockRunner | undefined;
/** Metrics right after a restore: this thread counts only what it ran since (the main thread's engine carries the checkpoint's counts). */
let baseline: ReturnType<EngineSurface['metrics']> | undefined;
let ready: Promise<void> | undefined;

function reply(message: DriverReply): void {
  port.postMessage(message);
}

async function init(data: DriverData): Promise<void> {
  // The IOC lists come as the main thread's filters (bytes, copied not rebuilt, as the edge's
  // partitions share them), loaded before the rules that name them.
  const withLists = async (options: EngineOptions): Promise<EngineSurface> => {
    const created = await (early ?? create(options));
    for (const [name, bytes] of data.iocFilters) created.iocs.load(name, bytes);
    return created;
  };
  const setup = await setUpEngine({ ...data.setup, iocs: [] }, data.engineOptions, withLists);
  engine = setup.engine;
  runner = new BlockRunner(engine, data.batchLines, data.inputName, alertLineEncoder(data.outputFormat, data.version), data.keepAlerts);
}

const failed = (id: number) => (error: unknown) => reply({ type: 'error', id, name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) });

port.on('message', (request: DriverRequest) => {
  if (request.type === 'init') {
    ready = init(request.data);
    void ready.then(() => reply({ type: 'done', id: request.id }), failed(request.id));
  } else if (request.type === 'dispose') {
    void (engine ? Promise.resolve(engine) : (early ?? Promise.resolve(undefined)))
      .then((e) => e?.dispose(), () => undefined)
      .finally(() => reply({ type: 'done', id: request.id }));
  } else if (!ready) failed(request.id)(new Error('the thread was not given its rules'));
  else void ready.then(() => handle(request), failed(request.id));
});

function handle(request: DriverRequest): void {
  try {
    switch (request.type) {
      case 'block':
        return reply({ type: 'block', id: request.id, result: runner!.run(request.block) });
      case 'restore':
        engine!.restore(request.bytes);
        baseline = engine!.metrics();
        return reply({ type: 'done', id: request.id });
      case 'deactivate':
        runner!.deactivate(request.deactivation);
        return reply({ type: 'done', id: request.id });
      case 'flush':
        return reply({ type: 'block', id: request.id, result: runner!.flush() });
      case 'metrics':
        return reply({ type: 'metrics', id: request.id, metrics: since(engine!.metrics() as never, baseline as never) as ReturnType<EngineSurface['metrics']> });
    }
  } catch (error) {
    reply({ type: 'error', id: request.id, name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) });
  }
}

/** Counts since `before` (numbers only; states as they are now). */
function since<T extends Record<string, unknown>>(now: T, before: T | undefined): T {
  if (!before) return now;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(now)) {
    const was = before[key];
    if (typeof value === 'number' && typeof was === 'number') out[key] = value - was;
    else if (value && typeof value === 'object' && was && typeof was === 'object' && !Array.isArray(value)) out[key] = since(value as Record<string, unknown>, was as Record<string, unknown>);
    else out[key] = value;
  }
  return out as T;
}
