/**
 * The page's copy of an alert carries its first PAGE_ALERT_EVENTS events (a minute of windows at
 * 100k events/s made one 5.6 MB update, 116 ms of the page's main thread); the worker keeps the
 * whole alert and hands it back by id. Oracle: the events pushed into the window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { PAGE_ALERT_EVENTS, type AlertEnvelope, type UpdateBatch } from '../../src/runtime/worker/protocol.js';
import { DEFAULTS } from '../../web/defaults.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { pageCopy } from '../../web/worker/services/update-feed.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { FakeTimer } from './fake-timer.js';

const hosts: WorkerHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

describe("the page's copy of an alert", () => {
  it('carries the first events and the count left out; keptAlerts returns them all', async () => {
    const timer = new FakeTimer();
    const host = new WorkerHost({
      createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
      openStore: async () => new MemoryStore(),
      simulator: async () => simulatorLib,
      timer,
    });
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });
    const batches: UpdateBatch[] = [];
    host.subscribe((b) => void batches.push(b));
    const t0 = Math.floor(timer.now() / 60_000) * 60_000;
    // 35 failures for one account on one server in a minute, and 3 for another (under the bound of 10).
    const failures = Array.from({ length: 35 }, (_, i) => ({ kind: 'auth', user: 'carol', server: 's1', outcome: 'failure', sourceAddress: `198.51.100.${i}`, timestamp: t0 + 1000 + i * 100 }));
    host.push(failures);
    host.push([{ kind: 'auth', user: 'dave', server: 's1', outcome: 'success', sourceAddress: '192.0.2.9', timestamp: t0 + 120_000 }]);
    timer.advance(1000);

    const sent = batches.flatMap((b) => b.alerts).filter((e) => e.alert.rule === 'brute force');
    expect(sent).toHaveLength(1);
    const copy = sent[0]!;
    expect(copy.alert.failures).toBe(35);
    expect(copy.alert.events).toEqual(failures.slice(0, PAGE_ALERT_EVENTS));
    expect(copy.omittedEvents).toBe(35 - PAGE_ALERT_EVENTS);

    const [whole] = host.keptAlerts([copy.id]);
    expect(whole!.alert.events).toEqual(failures);
    expect(whole!.omittedEvents).toBeUndefined();
    expect(host.keptAlerts([copy.id + 1000, Number.NaN])).toEqual([]);

    // After a reload the page loads the kept alerts: copies again, the worker's rows untouched.
    const loaded = (await host.triageAlerts()).find((r) => r.id === copy.id)!;
    expect(loaded.alert.events).toEqual(failures.slice(0, PAGE_ALERT_EVENTS));
    expect(loaded.omittedEvents).toBe(35 - PAGE_ALERT_EVENTS);
    expect(host.keptAlerts([copy.id])[0]!.alert.events).toHaveLength(35);

    // Alerts without events, or with few, go as they are.
    for (const e of batches.flatMap((b) => b.alerts).filter((e) => e.alert.rule !== 'brute force')) {
      expect(e.omittedEvents).toBeUndefined();
    }
  });

  it('is the envelope itself under the bound, and never cut for an unbounded feed (the widget)', () => {
    const envelope: AlertEnvelope = { id: 1, at: 0, alert: { rule: 'r', events: Array.from({ length: 50 }, (_, i) => ({ i })) } };
    expect(pageCopy(envelope, Number.POSITIVE_INFINITY)).toBe(envelope);
    expect(pageCopy(envelope, 50)).toBe(envelope);
    const cut = pageCopy(envelope, 49);
    expect(cut.alert.events).toHaveLength(49);
    expect(cut.omittedEvents).toBe(1);
    expect(envelope.alert.events).toHaveLength(50);
    const notArray: AlertEnvelope = { id: 2, at: 0, alert: { rule: 'r', events: 'many' } };
    expect(pageCopy(notArray, 1)).toBe(notArray);
  });
});
