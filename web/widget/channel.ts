/**
 * The page's side of the widget's engine host: the worker protocol's `WidgetWorkerApi`, reached
 * through comlink and the library's client (src/runtime/worker/client.ts), as the web app reaches
 * its worker. The host runs in a module Web Worker started from this very module (the bundle is
 * one file: web/widget/index.ts serves the host when it finds itself in a worker scope). When the
 * module is on another origin, the worker is a same-origin blob that imports it. When no worker
 * can be started (CSP, old browser), or the worker fails before `start` answered, the host runs in
 * the page, behind a MessageChannel: the same protocol, the same asynchronous calls.
 */
import * as Comlink from 'comlink';
import type { RuleInfo } from '../../src/engine/engine.js';
import { engineClient, type EngineClient } from '../../src/runtime/worker/client.js';
import type { UpdateBatch, WidgetStart, WidgetStarted, WidgetWorkerApi } from '../../src/runtime/worker/protocol.js';
import { WidgetHost } from './host.js';

export interface HostChannel {
  /** Starts the host; falls back to the page when the worker fails first. */
  start(init: WidgetStart): Promise<WidgetStarted>;
  /** Update batches from now on (call after a successful start). */
  subscribe(listener: (batch: UpdateBatch) => void): Promise<unknown>;
  rules(): Promise<RuleInfo[]>;
  close(): void;
  /** Where the engine runs. */
  readonly where: 'worker' | 'page';
}

function createWorker(moduleUrl: string): Worker {
  const url = new URL(moduleUrl);
  if (url.origin === location.origin) return new Worker(url, { type: 'module', name: 'vigil-detections' });
  const blob = new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(blob), { type: 'module', name: 'vigil-detections' });
}

function connect(endpoint: Comlink.Endpoint, close: () => void): EngineClient<WidgetWorkerApi> {
  const remote = Comlink.wrap<WidgetWorkerApi>(endpoint);
  return engineClient<WidgetWorkerApi>(remote, {
    proxy: Comlink.proxy,
    release: () => {
      remote[Comlink.releaseProxy]();
      close();
    },
  });
}

/** The host in the page, behind a MessageChannel. */
function inPage(): EngineClient<WidgetWorkerApi> {
  const host = new WidgetHost();
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(host, port1);
  return connect(port2, () => {
    host.stop();
    port1.close();
    port2.close();
  });
}

/** Opens a host. With `worker: false`, or when no worker starts, the host runs in the page. */
export function openHost(moduleUrl: string, options: { worker?: boolean } = {}): HostChannel {
  let worker: Worker | undefined;
  if (options.worker !== false && typeof Worker !== 'undefined') {
    try {
      worker = createWorker(moduleUrl);
    } catch {
      worker = undefined;
    }
  }
  let client: EngineClient<WidgetWorkerApi>;
  let where: 'worker' | 'page';
  if (worker) {
    const w = worker;
    // Terminating the worker ends its host, source and timers with it.
    client = connect(w, () => w.terminate());
    where = 'worker';
  } else {
    client = inPage();
    where = 'page';
  }
  let closed = false;
  return {
    get where() {
      return where;
    },
    start(init) {
      if (!worker) return client.api.start(init);
      const w = worker;
      return new Promise<WidgetStarted>((resolve, reject) => {
        let answered = false;
        const onError = (event: ErrorEvent) => {
          // The module did not load in a worker: run in the page instead.
          if (answered || closed) return;
          answered = true;
          event.preventDefault();
          w.terminate();
          client = inPage();
          where = 'page';
          resolve(client.api.start(init));
        };
        w.addEventListener('error', onError);
        client.api.start(init).then(
          (started) => {
            if (answered) return;
            answered = true;
            w.removeEventListener('error', onError);
            resolve(started);
          },
          (error: unknown) => {
            if (answered) return;
            answered = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    },
    subscribe: (listener) => client.subscribe(listener),
    rules: () => client.api.rules(),
    close() {
      closed = true;
      client.terminate();
    },
  };
}
