import { describe, expect, it } from 'vitest';
import { SimulatorDriver, type SimGenerator, type SimulatorLib } from '../../web/worker/simulator.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { FakeTimer } from './fake-timer.js';

describe('simulator driver', () => {
  it('keeps the generator’s event time on the wall clock, after a warm-up', () => {
    const timer = new FakeTimer(Date.UTC(2026, 0, 1, 12));
    const pushed: Record<string, unknown>[] = [];
    const driver = new SimulatorDriver(simulatorLib, { push: (e) => (pushed.push(...e), 0) }, timer, () => {}, 10_000);
    driver.configure({ mix: [{ generator: 'noise', weight: 1 }], rate: 100, seed: 1, errorProbability: 0 });
    driver.start();
    timer.advance(100);
    // The warm-up's ten seconds are generated at once.
    expect(pushed.length).toBeGreaterThanOrEqual(990);
    timer.advance(10_000);
    const times = pushed.map((e) => e.timestamp as number);
    expect(times[0]).toBeGreaterThanOrEqual(timer.now() - 20_200);
    expect(times[times.length - 1]).toBeLessThanOrEqual(timer.now() + 100);
    expect(pushed.length).toBeGreaterThan(1900);
    expect(pushed.length).toBeLessThan(2150);
    expect(driver.status().behind).toBe(false);
    driver.stop();
    const n = pushed.length;
    timer.advance(5000);
    expect(pushed.length).toBe(n);
  });

  it('the same seed gives the same events', () => {
    const run = () => {
      const timer = new FakeTimer();
      const pushed: unknown[] = [];
      const d = new SimulatorDriver(simulatorLib, { push: (e) => (pushed.push(...e), 0) }, timer);
      d.configure({ mix: [{ generator: 'bruteforce', weight: 2 }, { generator: 'noise', weight: 1 }], rate: 300, seed: 42 });
      d.start();
      timer.advance(3000);
      d.stop();
      return pushed;
    };
    expect(run()).toEqual(run());
  });

  it('counts anomalies and scores alerts against their truth keys', () => {
    const taken: { event: Record<string, unknown>; anomaly: boolean; truthKey?: string }[] = [
      { event: { n: 1 }, anomaly: true, truthKey: 'u@s' },
      { event: { n: 2 }, anomaly: false },
      { event: { n: 3 }, anomaly: true, truthKey: 'v@s' },
    ];
    const gen: SimGenerator = { name: 'fake', take: (n) => taken.splice(0, n), inject: () => {}, now: 0, rate: 1 };
    const lib: SimulatorLib = { ...simulatorLib, createGenerator: () => gen, mixGenerators: () => gen };
    const d = new SimulatorDriver(lib, { push: () => 1 }, new FakeTimer());
    d.configure({ mix: [{ generator: 'noise', weight: 1 }] });
    d.step(3);
    d.observeAlert({ rule: 'brute force', key: { user: 'u', server: 's' } });
    d.observeAlert({ rule: 'x', user: 'w', server: 's' });
    d.observeAlert({ rule: 'vigil.rule.deactivated', user: 'v', server: 's' });
    const s = d.status();
    expect(s).toMatchObject({ generated: 3, anomalies: 2, rejected: 1 });
    expect(s.score).toMatchObject({ truePositives: 1, falsePositives: 1, falseNegatives: 1, precision: 0.5, recall: 0.5 });
  });

  it('rejects bad settings and reports an unavailable simulator', () => {
    const d = new SimulatorDriver(undefined, { push: () => 0 }, new FakeTimer());
    expect(() => d.configure({ rate: -1 })).toThrow(/rate/);
    expect(() => d.configure({ mix: [] })).toThrow(/generator/);
    d.setUnavailable('missing');
    expect(() => d.start()).toThrow(/missing/);
    expect(d.status().available).toBe(false);
  });
});
