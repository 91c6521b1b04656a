/**
 * The page side of the engine worker: starts it and wraps it with comlink.
 *
 *   const { api } = startEngineWorker();
 *   await api.init({ defaults });
 *   await api.subscribe(comlink.proxy((batch) => render(batch)));
 */
import * as Comlink from 'comlink';
import type { UpdateBatch, VigilWorkerApi } from './protocol.js';

export interface EngineWorker {
  api: Comlink.Remote<VigilWorkerApi>;
  worker: Worker;
  /** Subscribes a listener to update batches; returns the unsubscribe function. */
  subscribe(listener: (batch: UpdateBatch) => void): Promise<() => Promise<void>>;
  terminate(): void;
}

export function startEngineWorker(): EngineWorker {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'vigil-engine' });
  const api = Comlink.wrap<VigilWorkerApi>(worker);
  return {
    api,
    worker,
    async subscribe(listener) {
      const token = await api.subscribe(Comlink.proxy(listener));
      return () => api.unsubscribe(token);
    },
    terminate() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
