/**
 * The page's side of an engine host. The host runs in a module Web Worker started from this very
 * module (the bundle is one file: web/widget/index.ts serves the worker when it finds itself in a
 * worker scope). When the module is on another origin, the worker is a same-origin blob that
 * imports it. When no worker can be started (CSP, old browser), the host runs in the page.
 */
import { WidgetHost } from './host.js';
import type { HostMessage, PageMessage } from './protocol.js';

export interface HostChannel {
  send(message: PageMessage): void;
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

function inPage(onMessage: (m: HostMessage) => void): HostChannel {
  // Deliver asynchronously, as a worker would.
  const host = new WidgetHost((m) => queueMicrotask(() => onMessage(m)));
  return {
    where: 'page',
    send: (m) => host.handle(m),
    close: () => host.stop(),
  };
}

/**
 * Opens a host. `onMessage` gets every message of the host. With `worker: false`, or when the
 * worker fails before it answers, the host runs in the page.
 */
export function openHost(moduleUrl: string, onMessage: (m: HostMessage) => void, options: { worker?: boolean } = {}): HostChannel {
  if (options.worker === false || typeof Worker === 'undefined') return inPage(onMessage);
  let worker: Worker;
  try {
    worker = createWorker(moduleUrl);
  } catch {
    return inPage(onMessage);
  }
  let answered = false;
  let fallback: HostChannel | undefined;
  let closed = false;
  const sent: PageMessage[] = [];
  worker.addEventListener('message', (event: MessageEvent<HostMessage>) => {
    answered = true;
    if (!closed) onMessage(event.data);
  });
  worker.addEventListener('error', (event) => {
    // The module did not load in a worker: run in the page instead.
    if (answered || fallback || closed) return;
    event.preventDefault();
    worker.terminate();
    fallback = inPage(onMessage);
    for (const m of sent) fallback.send(m);
  });
  return {
    get where() {
      return fallback ? 'page' : 'worker';
    },
    send(m) {
      if (fallback) return fallback.send(m);
      sent.push(m);
      worker.postMessage(m);
    },
    close() {
      closed = true;
      if (fallback) fallback.close();
      else {
        worker.postMessage({ type: 'stop' } satisfies PageMessage);
        worker.terminate();
      }
    },
  } as HostChannel;
}
