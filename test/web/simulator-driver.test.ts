import { describe, expect, it } from 'vitest';
import { MAX_SCORED, SimulatorDriver, type SimGenerator, type SimulatorLib } from '../../web/worker/simulator.js';
import { scoreAlerts } from '../../src/simulate/index.js';
import { alertTruthKey } from '../../web/worker/simulator-lib.js';
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

  it('scores a long run as scoring every alert would: many alerts (more than it keeps) lose no detected key', () => {
    // At 100k events/s the default rules raise more alerts than the driver keeps; the score must
    // still equal scoreAlerts over every alert and every truth key (the oracle below keeps all).
    const keys = Array.from({ length: 300 }, (_, i) => `u${i}@s`);
    const taken = keys.map((truthKey, n) => ({ event: { n }, anomaly: true, truthKey }));
    const gen: SimGenerator = { name: 'fake', take: (n) => taken.splice(0, n), inject: () => {}, now: 0, rate: 1 };
    const lib: SimulatorLib = { ...simulatorLib, createGenerator: () => gen, mixGenerators: () => gen };
    const d = new SimulatorDriver(lib, { push: () => 0 }, new FakeTimer());
    d.configure({ mix: [{ generator: 'noise', weight: 1 }] });
    d.step(keys.length);
    const every: Record<string, unknown>[] = [];
    const observe = (alert: { rule: string } & Record<string, unknown>) => {
      every.push(alert);
      d.observeAlert(alert);
    };
    // The early keys are detected first; then a flood of repeated alerts (false alarms on a few
    // keys, alerts that name no key, and repeats of ten detected keys), then the rest of the keys.
    for (const k of keys.slice(0, 200)) observe({ rule: 'brute force', user: k.split('@')[0], server: 's' });
    for (let i = 0; i < 3 * MAX_SCORED; i++) {
      if (i % 3 === 0) observe({ rule: 'login from bad ip', user: `x${i % 7}`, server: 's' });
      else if (i % 3 === 1) observe({ rule: 'noise' });
      else observe({ rule: 'brute force', user: `u${i % 10}`, server: 's' });
    }
    for (const k of keys.slice(200, 250)) observe({ rule: 'brute force', key: { user: k.split('@')[0], server: 's' } });
    const oracle = scoreAlerts(every, keys.map((truthKey) => ({ event: {}, anomaly: true, truthKey })), alertTruthKey);
    const score = d.status().score!;
    expect(score.truePositives).toBe(250);
    expect(score.falseNegatives).toBe(oracle.falseNegatives);
    expect(score.truePositives).toBe(oracle.truePositives);
    expect(score.recall).toBe(oracle.recall);
    // Key-less alerts are each a false alarm: the driver keeps the last MAX_SCORED of them.
    expect(score.falsePositives).toBe(7 + Math.min(MAX_SCORED, oracle.falsePositives - 7));
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
