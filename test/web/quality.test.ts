/**
 * Detection quality per rule and per generator (web/worker/quality.ts) in a worker host driven by a
 * fake clock, against a recount written here from what the test itself saw: every event the
 * generators produced (recorded by wrapping src/simulate's generators, before the host's own
 * wrapping) and every alert the engine raised (the engine's own onAlert). The "all rules" figures
 * must also equal the driver's global score (src/simulate's scoreAlerts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { DEFAULTS } from '../../web/defaults.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { QualityTracker, type QualityReport } from '../../web/worker/quality.js';
import { alertTruthKey, simulatorLib } from '../../web/worker/simulator-lib.js';
import type { SimGenerator, SimulatorLib } from '../../web/worker/simulator.js';
import { FakeTimer } from './fake-timer.js';

interface Seen {
  truth: Map<string, string>; // truth key → generator
  firstAnomalyKeys: Map<string, string[]>; // generator → its new truth keys in order
  alerts: Alert[];
}

/** src/simulate's lib, recording every generated anomaly with the name of the generator that made it. */
function recordingLib(seen: Seen): SimulatorLib {
  return {
    ...simulatorLib,
    createGenerator(name, options) {
      const g = simulatorLib.createGenerator(name, options);
      const take = g.take.bind(g);
      g.take = (n: number) => {
        const out = take(n);
        for (const t of out) {
          if (!t.anomaly || t.truthKey === undefined || seen.truth.has(t.truthKey)) continue;
          seen.truth.set(t.truthKey, name);
          const list = seen.firstAnomalyKeys.get(name) ?? [];
          list.push(t.truthKey);
          seen.firstAnomalyKeys.set(name, list);
        }
        return out;
      };
      return g as SimGenerator;
    },
  };
}

/** The naive recount: per rule, its alert keys split into truth keys and others. */
function recount(seen: Seen) {
  const rules = [...new Set(seen.alerts.map((a) => a.rule).filter((r) => !r.startsWith('vigil.')))].sort();
  const perRule = rules.map((rule) => {
    const alerts = seen.alerts.filter((a) => a.rule === rule);
    const keys = [...new Set(alerts.map((a) => alertTruthKey(a as unknown as Record<string, unknown>)).filter((k) => k !== undefined))];
    const unnamed = alerts.filter((a) => alertTruthKey(a as unknown as Record<string, unknown>) === undefined).length;
    const tpKeys = keys.filter((k) => seen.truth.has(k));
    const covers = [...new Set(tpKeys.map((k) => seen.truth.get(k)!))].sort();
    const coveredTruth = [...seen.truth.values()].filter((g) => covers.includes(g)).length;
    return { rule, alerts: alerts.length, tp: tpKeys.length, fp: keys.length - tpKeys.length + unnamed, fn: covers.length ? coveredTruth - tpKeys.length : 0, covers };
  });
  const found = new Set(seen.alerts.filter((a) => !a.rule.startsWith('vigil.')).map((a) => alertTruthKey(a as unknown as Record<string, unknown>)).filter((k) => k !== undefined && seen.truth.has(k)));
  const generators = [...new Set(seen.truth.values())].sort().map((generator) => {
    const keys = [...seen.truth].filter(([, g]) => g === generator).map(([k]) => k);
    const tp = keys.filter((k) => found.has(k)).length;
    return { generator, truthKeys: keys.length, tp, fn: keys.length - tp };
  });
  const misses = [...seen.truth.keys()].filter((k) => !found.has(k)).sort();
  return { perRule, generators, misses };
}

describe('detection quality per rule and per generator', () => {
  const hosts: WorkerHost[] = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.dispose();
  });

  async function start(seen: Seen, timer: FakeTimer, simulator = DEFAULTS.simulator) {
    let engine!: Engine;
    const host = new WorkerHost({
      createEngine: async () => {
        engine = await createNodeEngine();
        engine.onAlert((a) => seen.alerts.push(a));
        return { engine, loadMs: 0 };
      },
      openStore: async () => new MemoryStore(),
      simulator: async () => recordingLib(seen),
      timer,
    });
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulator } });
    return host;
  }

  it('per rule and per generator figures, false positives and misses equal a recount of what was generated and alerted', async () => {
    const seen: Seen = { truth: new Map(), firstAnomalyKeys: new Map(), alerts: [] };
    const timer = new FakeTimer();
    // Errors often enough that every rule of the mix has work (and the bad-IP rule raises false alarms).
    const host = await start(seen, timer, { ...DEFAULTS.simulator, errorProbability: 0.03, seed: 7 });
    host.injectAnomaly(4);
    timer.advance(150_000);
    const report: QualityReport = host.quality();
    const oracle = recount(seen);
    expect(seen.truth.size).toBeGreaterThan(5);
    expect(oracle.perRule.length).toBeGreaterThan(2);

    expect(report.rules.map((r) => ({ rule: r.rule, alerts: r.alerts, tp: r.truePositives, fp: r.falsePositives, fn: r.falseNegatives, covers: r.covers }))).toEqual(oracle.perRule);
    for (const r of report.rules) {
      const o = oracle.perRule.find((x) => x.rule === r.rule)!;
      expect(r.precision).toBe(o.tp + o.fp ? o.tp / (o.tp + o.fp) : undefined);
      expect(r.recall).toBe(o.covers.length && o.tp + o.fn ? o.tp / (o.tp + o.fn) : undefined);
    }
    expect(report.generators.map((g) => ({ generator: g.generator, truthKeys: g.truthKeys, tp: g.truePositives, fn: g.falseNegatives }))).toEqual(oracle.generators);
    expect(report.misses.map((m) => m.key).sort()).toEqual(oracle.misses);
    for (const m of report.misses) expect(m.generator).toBe(seen.truth.get(m.key));
    // A false positive per (rule, key) that is no truth key; each carries the alert itself.
    const fpCount = oracle.perRule.reduce((s, r) => s + r.fp, 0);
    expect(report.falsePositives).toHaveLength(fpCount);
    for (const fp of report.falsePositives) {
      expect(fp.key === undefined || !seen.truth.has(fp.key)).toBe(true);
      expect(fp.alert.rule).toBe(fp.rule);
    }
    // All rules together: the driver's global score (src/simulate's scoreAlerts) agrees.
    const global = host.simulator().score!;
    expect(report.overall).toMatchObject({ truePositives: global.truePositives, falsePositives: global.falsePositives, falseNegatives: global.falseNegatives });
  });

  it('names the injected key: the first new truth key of the generator that got the injection', async () => {
    const seen: Seen = { truth: new Map(), firstAnomalyKeys: new Map(), alerts: [] };
    const timer = new FakeTimer();
    // Only the network generator has anomalies here, and none of its own: every one is injected.
    const host = await start(seen, timer, { mix: [{ generator: 'network', weight: 1, errorProbability: 0 }, { generator: 'noise', weight: 1 }], rate: 200, errorProbability: 0, seed: 3 });
    timer.advance(5_000);
    expect(host.quality().injected).toEqual([]);
    host.injectAnomaly(2);
    timer.advance(5_000);
    const injected = host.quality().injected;
    expect(injected.map((i) => i.key).reverse()).toEqual(seen.firstAnomalyKeys.get('network'));
    expect(injected.map((i) => i.generator)).toEqual(['network', 'network']);
    // The protocol state machine alerts at once on an invalid transition.
    expect(injected.every((i) => i.detectedBy.length > 0)).toBe(true);
  });

  it('Reset (and new generators) start the counts again', async () => {
    const seen: Seen = { truth: new Map(), firstAnomalyKeys: new Map(), alerts: [] };
    const timer = new FakeTimer();
    const host = await start(seen, timer);
    host.injectAnomaly(2);
    timer.advance(30_000);
    expect(host.quality().generators.length).toBeGreaterThan(0);
    host.resetScore();
    expect(host.quality()).toMatchObject({ rules: [], generators: [], misses: [], falsePositives: [], injected: [] });
  });
});

describe('QualityTracker limits and pending misses', () => {
  it('marks a miss pending while its last event is younger than 2 minutes of event time, and forgets the oldest truth keys past the limit', () => {
    const tracker = new QualityTracker(alertTruthKey, () => 0);
    const t0 = Date.UTC(2026, 0, 1);
    tracker.observeTaken([{ event: { timestamp: t0 }, anomaly: true, truthKey: 'a@s', generator: 'bruteforce' }]);
    tracker.observeTaken([{ event: { timestamp: t0 + 60_000 }, anomaly: false }]);
    expect(tracker.report().misses.map((m) => [m.key, m.pending])).toEqual([['a@s', true]]);
    tracker.observeTaken([{ event: { timestamp: t0 + 121_000 }, anomaly: false }]);
    expect(tracker.report().misses.map((m) => [m.key, m.pending])).toEqual([['a@s', false]]);
    tracker.observeAlert({ rule: 'brute force', user: 'a', server: 's' });
    expect(tracker.report()).toMatchObject({ misses: [], overall: { truePositives: 1, falsePositives: 0, falseNegatives: 0, precision: 1, recall: 1 } });
  });
});
