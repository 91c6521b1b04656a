/**
 * Periodic checkpoints are spaced by their cost: one that took c ms is followed by the next after
 * CHECKPOINT_COST_SHARE × c ms at the earliest (never more often than CHECKPOINT_EVERY_MS). The
 * store's write moves the virtual clock by a set cost; the expected count comes from a recount of
 * the schedule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { DEFAULTS } from '../../web/defaults.js';
import { CHECKPOINT_COST_SHARE, CHECKPOINT_EVERY_MS, WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import type { CheckpointRecord } from '../../web/worker/records.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { FakeTimer } from './fake-timer.js';

/** A store whose checkpoint writes take `costMs` of the virtual clock. */
class SlowStore extends MemoryStore {
  writes: number[] = [];
  constructor(
    private readonly timer: FakeTimer,
    private readonly costMs: number,
  ) {
    super();
  }
  override async writeCheckpoint(record: CheckpointRecord): Promise<void> {
    this.writes.push(this.timer.now());
    this.timer.advance(this.costMs);
    return super.writeCheckpoint(record);
  }
}

/** The schedule's model: ticks every CHECKPOINT_EVERY_MS; a tick runs when the last run is old enough. */
function expectedWrites(totalMs: number, costMs: number): number {
  let last = -Infinity;
  let writes = 0;
  for (let t = CHECKPOINT_EVERY_MS; t <= totalMs; t += CHECKPOINT_EVERY_MS) {
    if (t - last < CHECKPOINT_COST_SHARE * costMs) continue;
    last = t;
    writes++;
  }
  return writes;
}

const hosts: WorkerHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

describe('periodic checkpoints', () => {
  for (const costMs of [0, 4_000]) {
    it(`are spaced by their cost (${costMs} ms a write)`, async () => {
      const timer = new FakeTimer();
      const store = new SlowStore(timer, costMs);
      const host = new WorkerHost({
        createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
        openStore: async () => store,
        simulator: async () => simulatorLib,
        timer,
      });
      hosts.push(host);
      await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
      const total = 20 * CHECKPOINT_EVERY_MS;
      const start = timer.now();
      for (let t = CHECKPOINT_EVERY_MS; t <= total; t += CHECKPOINT_EVERY_MS) {
        // Up to the next tick exactly (a write moved the clock on by its cost).
        timer.advance(start + t - timer.now());
        // Let the checkpoint's promise chain (settled writes, the store's write) run out.
        for (let i = 0; i < 5; i++) await new Promise((ok) => setImmediate(ok));
      }
      expect(store.writes.length).toBe(expectedWrites(total, costMs));
      if (costMs) expect(store.writes.length).toBeLessThan(total / CHECKPOINT_EVERY_MS);
    });
  }
});
