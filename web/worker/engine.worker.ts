/**
 * The engine worker's entry: builds a WorkerHost with the browser loaders (QuickJS and Vigil's
 * WebAssembly over HTTP), IndexedDB persistence, the simulator and the benchmark modules, and
 * exposes it with comlink. Start it with `startEngineWorker()` (client.ts).
 */
import * as Comlink from 'comlink';
import { createBrowserEngine } from '../../src/targets/browser.js';
import { benchModules } from './bench-modules.js';
import { WorkerHost } from './host.js';
import { IdbStore, MemoryStore } from './persistence.js';
import { WEB_SIGMA_PIPELINE } from './services/preview.js';
import { simulatorLib } from './simulator-lib.js';
import type { VigilWorkerApi } from '../../src/runtime/worker/protocol.js';

const host: VigilWorkerApi = new WorkerHost({
  // Sigma rules read EVTX JSON (evtx_dump, Chainsaw, Hayabusa): the default `flat` pipeline routes no rule.
  createEngine: () => createBrowserEngine({ sigma: { pipeline: WEB_SIGMA_PIPELINE } }),
  openStore: async (persist) => (persist && typeof indexedDB !== 'undefined' ? IdbStore.open() : new MemoryStore()),
  simulator: async () => simulatorLib,
  benchmarks: benchModules,
});

Comlink.expose(host);
