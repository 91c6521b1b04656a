/**
 * Starts the web app's engine worker (engine.worker.ts) and connects to it with comlink through the
 * library's client (src/runtime/worker/client.ts). Here, not in src/, because the bundler must see
 * the `new Worker(new URL(…))` and comlink is the app's dependency, not the library's.
 */
import * as Comlink from 'comlink';
import { engineClient, type EngineClient } from '../../src/runtime/worker/client.js';
import type { VigilWorkerApi } from '../../src/runtime/worker/protocol.js';

export type EngineWorker = EngineClient<VigilWorkerApi> & { worker: Worker };

export function startEngineWorker(): EngineWorker {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'vigil-engine' });
  const remote = Comlink.wrap<VigilWorkerApi>(worker);
  const client = engineClient<VigilWorkerApi>(remote, {
    proxy: Comlink.proxy,
    release: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  });
  return { ...client, worker };
}
