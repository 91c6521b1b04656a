/**
 * The page side of an engine host (the web app's worker, or the widget's): subscribing to update
 * batches and letting the host go. The library does not depend on comlink: the page wraps the
 * worker with it and hands in the remote and comlink's `proxy` (web/worker/start.ts does):
 *
 *   const remote = Comlink.wrap<VigilWorkerApi>(worker);
 *   const client = engineClient(remote, { proxy: Comlink.proxy, release: () => { remote[Comlink.releaseProxy](); worker.terminate(); } });
 *   await client.api.init({ defaults });
 *   const unsubscribe = await client.subscribe((batch) => render(batch));
 */
import type { EngineFeedApi, RemoteApi, UpdateBatch } from './protocol.js';

/** What the client needs of comlink and of the connection. */
export interface ClientTransport {
  /** comlink's `proxy`: marks a function to be called back across the connection. */
  proxy<T extends object>(value: T): T;
  /** Ends the connection (release the remote, terminate the worker). */
  release(): void;
}

export interface EngineClient<Api extends EngineFeedApi> {
  api: RemoteApi<Api>;
  /** Subscribes a listener to update batches; returns the unsubscribe function. */
  subscribe(listener: (batch: UpdateBatch) => void): Promise<() => Promise<void>>;
  terminate(): void;
}

export function engineClient<Api extends EngineFeedApi>(api: RemoteApi<Api>, transport: ClientTransport): EngineClient<Api> {
  // RemoteApi<Api> of a generic Api does not show TypeScript the feed's methods: read them as such.
  const feed = api as unknown as RemoteApi<EngineFeedApi>;
  return {
    api,
    async subscribe(listener) {
      const token = await feed.subscribe(transport.proxy(listener));
      return () => feed.unsubscribe(token);
    },
    terminate: () => transport.release(),
  };
}
