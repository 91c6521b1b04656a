/**
 * Checkpoints are skipped while the open windows hold more than CHECKPOINT_MAX_WINDOW_EVENTS events
 * (a checkpoint of millions took the worker seconds), the snapshot says so (the app's banner), and
 * they resume once the windows have closed. Oracle: a recount of the events the default rules'
 * windows took, and what the store holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { DEFAULTS } from '../../web/defaults.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { CHECKPOINT_MAX_WINDOW_EVENTS } from '../../web/worker/services/checkpoints.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { FakeTimer } from './fake-timer.js';

const hosts: WorkerHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

describe('checkpoints while the windows are very full', () => {
  it('are skipped with the reason in the snapshot, keep the last save, and resume when the windows close', async () => {
    const timer = new FakeTimer();
    const store = new MemoryStore();
    const host = new WorkerHost({
      createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
      openStore: async () => store,
      simulator: async () => simulatorLib,
      timer,
    });
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
    const t0 = Math.floor(timer.now() / 60_000) * 60_000;
    const auth = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({ kind: 'auth', user: `u${i % 500}`, server: 's1', outcome: 'success', sourceAddress: '192.0.2.1', timestamp: t0 + from + i / 10 }));

    // A few events: saved.
    host.push(auth(100, 0));
    const first = await host.checkpointNow();
    expect(first).toBeDefined();
    expect(host.metrics().checkpointPaused).toBeUndefined();

    // The default rules window every auth event once ("brute force then success"; "brute force" takes
    // failures only): over the limit by one.
    host.push(auth(CHECKPOINT_MAX_WINDOW_EVENTS - 100 + 1, 10));
    expect(host.metrics().engine.windowEvents).toBe(CHECKPOINT_MAX_WINDOW_EVENTS + 1);
    timer.advance(1000);
    expect(await host.checkpointNow()).toBeUndefined();
    const paused = host.metrics().checkpointPaused;
    expect(paused).toEqual({ since: expect.any(Number), windowEvents: CHECKPOINT_MAX_WINDOW_EVENTS + 1, limit: CHECKPOINT_MAX_WINDOW_EVENTS });
    expect((await store.readCheckpoint())?.time).toBe(first!.time);
    expect(host.metrics().checkpoint?.time).toBe(first!.time);

    // The minute closes (an event 2 minutes on moves event time past it): fewer held, saved again.
    host.push(auth(1, 120_000));
    expect(host.metrics().engine.windowEvents).toBeLessThanOrEqual(CHECKPOINT_MAX_WINDOW_EVENTS);
    timer.advance(1000);
    const resumed = await host.checkpointNow();
    expect(resumed).toBeDefined();
    expect(host.metrics().checkpointPaused).toBeUndefined();
    expect((await store.readCheckpoint())?.time).toBe(resumed!.time);
  });
});
