/**
 * One thread of `vigil run --threads N` beyond the first (src/cli/threads.ts): an engine set up
 * from the same files as the main thread's, running the blocks it is sent. Guarded, the engine is
 * a GuardedEngine (its own engine thread under the same watchdog as the main thread's) and this
 * thread only waits on it; with --no-guard the engine runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { alertLineEncoder } from '../io/to-alerts.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { setUpEngine } from './setup.js';
import { BlockRunner } from './threads.js';
import type { DriverData, DriverReply, DriverRequest } from './threads-pool.js';

const data = workerData as DriverData;
const port = parentPort!;

let engine: EngineSurface | undefined;
let runner: BlockRunner | undefined;
/** Metrics right after a restore: this thread counts only what it ran since (the main thread's engine carries the checkpoint's counts). */
let baseline: ReturnType<EngineSurface['metrics']> | undefined;

function reply(message: DriverReply): void {
  port.postMessage(message);
}

async function start(): Promise<void> {
  const setup = await setUpEngine(data.setup, data.engineOptions, GuardedEngine.factory(data.guard));
  engine = setup.engine;
  runner = new BlockRunner(engine, data.batchLines, data.inputName, alertLineEncoder(data.outputFormat, data.version), data.keepAlerts);
}

const ready = start();

port.on('message', (request: DriverRequest) => {
  void ready.then(
    () => handle(request),
    (error: unknown) => reply({ type: 'error', id: request.id, name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) }),
  );
});

function handle(request: DriverRequest): void {
  try {
    switch (request.type) {
      case 'ready':
        return reply({ type: 'done', id: request.id });
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
      case 'dispose':
        engine?.dispose();
        engine = undefined;
        return reply({ type: 'done', id: request.id });
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
