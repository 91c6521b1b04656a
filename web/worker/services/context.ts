/**
 * What the services of the engine worker share: the live engine, the clock, the update feed (to
 * tell the page something changed) and the queue of store writes. WorkerHost (../host.ts) builds
 * one per worker once the engine has loaded.
 */
import type { Engine } from '../../../src/engine/engine.js';
import type { Persistence } from './persistence.js';
import type { UpdateFeed } from './update-feed.js';

export interface HostContext {
  readonly engine: Engine;
  /** Processing time (epoch ms): the test timer's, else the wall clock. */
  now(): number;
  readonly feed: UpdateFeed;
  readonly persistence: Persistence;
}

/**
 * Calls a page's callback (a `comlink.proxy`) without waiting or failing: through comlink the call
 * returns a promise, and a page that went away rejects it.
 */
export function notifyPage<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    const pending = callback?.(value) as unknown;
    if (pending instanceof Promise) pending.catch(() => {});
  } catch {
    // The page went away.
  }
}

/** The message of a caught error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
