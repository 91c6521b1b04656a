import { describe, expect, it } from 'vitest';
import { UpdateCoalescer, type CoalescedBatch } from '../../web/worker/coalescer.js';
import { FakeTimer } from './fake-timer.js';

function setup(options: { maxAlerts?: number; heartbeatMs?: number } = {}) {
  const timer = new FakeTimer(0);
  const batches: CoalescedBatch<number, string, number>[] = [];
  let snapshots = 0;
  const c = new UpdateCoalescer<number, string, number>({
    intervalMs: 250,
    heartbeatMs: options.heartbeatMs ?? 1000,
    maxAlerts: options.maxAlerts ?? 100,
    maxDiagnostics: 2,
    snapshot: () => ++snapshots,
    deliver: (b) => void batches.push(b),
    timer,
  });
  return { timer, batches, c };
}

describe('update coalescer', () => {
  it('sends at most one batch per interval, with every alert in order', () => {
    const { timer, batches, c } = setup({ maxAlerts: 1000 });
    c.start();
    timer.advance(0);
    expect(batches).toHaveLength(1);
    for (let i = 0; i < 1000; i++) {
      c.addAlert(i);
      timer.advance(1);
    }
    timer.advance(250);
    const times = batches.length;
    expect(times).toBeLessThanOrEqual(1 + Math.ceil(1250 / 250));
    expect(batches.flatMap((b) => b.alerts)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i + 1));
  });

  it('caps the alerts copied per batch and counts the rest', () => {
    const { timer, batches, c } = setup({ maxAlerts: 10 });
    c.start();
    timer.advance(0);
    for (let i = 0; i < 25; i++) c.addAlert(i);
    for (const d of ['a', 'b', 'c']) c.addDiagnostic(d);
    timer.advance(300);
    const b = batches[1]!;
    expect(b.alerts).toHaveLength(10);
    expect(b.omittedAlerts).toBe(15);
    expect(b.diagnostics).toEqual(['a', 'b']);
    expect(b.omittedDiagnostics).toBe(1);
  });

  it('sends a heartbeat with a fresh snapshot when nothing happens', () => {
    const { timer, batches, c } = setup();
    c.start();
    timer.advance(3100);
    expect(batches.length).toBe(4);
    expect(batches.map((b) => b.metrics)).toEqual([1, 2, 3, 4]);
    expect(batches.every((b) => b.alerts.length === 0)).toBe(true);
  });

  it('flushNow sends at once; stop sends nothing more', () => {
    const { timer, batches, c } = setup();
    c.start();
    timer.advance(0);
    c.addAlert(1);
    c.flushNow();
    expect(batches).toHaveLength(2);
    c.stop();
    c.addAlert(2);
    timer.advance(5000);
    expect(batches).toHaveLength(2);
    expect(timer.pending).toBe(0);
  });
});
