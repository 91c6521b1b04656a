/**
 * The Flows view's model on simulated flows with injected attacks: windows that close after
 * training are flagged when (and only when, nearly) the simulator's ground truth says they are
 * attacks; each flagged row says why — its features furthest from normal, and for volumes what
 * the host sent against what it usually sends, recounted here from the training rows; "vs truth"
 * is per-class recall and precision, recounted from the rows.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureRow } from '../../src/ml/features.js';
import { HOST_BASELINE_INPUTS, MIN_BASELINE_WINDOWS } from '../../src/ml/feature-sets.js';
import { createGenerator, type FlowAnomalyKind, type FlowsGenerator } from '../../src/simulate/index.js';
import { ANOMALOUS, FlowModelKeeper, MIN_REASON_SIGMA, rowTruth } from '../../web/worker/flow-model.js';
import { FlowStats } from '../../web/worker/flow-stats.js';

interface Run {
  keeper: FlowModelKeeper;
  training: FeatureRow[];
  kinds: Map<string, FlowAnomalyKind>;
}

/** `trainWindows` minutes of flows, train, then `scoreWindows` more minutes scored as they close. */
function run(seed: number, trainWindows: number, scoreWindows: number): Run {
  const g = createGenerator('flows', { seed, rate: 300, errorProbability: 0.02 }) as FlowsGenerator;
  const stats = new FlowStats();
  const keeper = new FlowModelKeeper();
  stats.onWindowClosed = (rows) => keeper.score(rows);
  const kinds = new Map<string, FlowAnomalyKind>();
  const feed = (minutes: number) => {
    const end = g.now + minutes * 60_000;
    while (g.now < end) {
      const taken = g.take(1000);
      for (const t of taken) if (t.anomaly && t.incident !== undefined) kinds.set(String(t.event['source.ip']), g.kindOf(t.incident)!);
      stats.add(taken.map((t) => t.event), taken.map((t) => t.anomaly));
    }
  };
  g.inject(6);
  feed(trainWindows + 0.2);
  const training = stats.featureRows('full');
  keeper.train(training, { now: 0, windowMs: stats.windowMs });
  g.inject(6);
  feed(scoreWindows);
  return { keeper, training, kinds };
}

describe('flow model on simulated flows (host-baseline)', () => {
  it.each([
    [3, 2],
    [5, 3],
  ])('seed %i, trained on %i minutes: flags the injected attacks of later windows, with few false alarms', (seed, minutes) => {
    const { keeper } = run(seed, minutes, 6);
    const scored = keeper.currentView()!.scored;
    const attacks = scored.filter((p) => p.truth);
    const flagged = scored.filter((p) => p.label === ANOMALOUS);
    expect(attacks.length).toBeGreaterThan(20);
    const caught = attacks.filter((p) => p.label === ANOMALOUS).length;
    const falseAlarms = flagged.filter((p) => !p.truth).length;
    console.log(`seed ${seed}, ${minutes} min of training: ${caught}/${attacks.length} attack windows flagged, ${falseAlarms} false alarms of ${scored.length - attacks.length} normal windows`);
    // Measured: seed 3 99/100, seed 5 83/93, no false alarm (the raw-feature model flagged 1–3 of ~80).
    expect(caught / attacks.length).toBeGreaterThanOrEqual(0.85);
    expect(falseAlarms / flagged.length).toBeLessThanOrEqual(0.1);
  });

  it('says why a row is flagged: the features furthest from normal, and the host’s volume against its own usual one', () => {
    const { keeper, training, kinds } = run(3, 5, 3);
    const view = keeper.currentView()!;
    const flagged = view.scored.filter((p) => p.label === ANOMALOUS);
    expect(flagged.length).toBeGreaterThan(5);
    const baselineHosts = new Set<string>();
    const typicalHosts = new Set<string>();
    for (const p of flagged) {
      const why = p.why!;
      expect(why.reasons.length).toBeGreaterThan(0);
      expect(why.distance).toBeGreaterThan(0);
      // The furthest first, each at least MIN_REASON_SIGMA, no further than the whole distance.
      const sigmas = why.reasons.map((r) => Math.abs(r.sigma));
      expect([...sigmas].sort((a, b) => b - a)).toEqual(sigmas);
      for (const s of sigmas) expect(s).toBeGreaterThanOrEqual(MIN_REASON_SIGMA);
      for (const s of sigmas) expect(s).toBeLessThanOrEqual(why.distance + 1e-9);
      for (const r of why.reasons) {
        if (!r.feature.endsWith('VsHost') || r.feature === 'serverShareVsHost') continue;
        // `now` is the row's own count; `usual` the median of the host's normal training windows (recount).
        const volume = ({ bytes: 'bytes', flows: 'flows', packets: 'packets', destinations: 'distinctDestinations', ports: 'distinctDestinationPorts' } as const)[r.feature.replace('VsHost', '') as 'bytes'];
        const k = HOST_BASELINE_INPUTS.indexOf(volume);
        expect(r.now).toBe(p.inputs![k]);
        const own = training.filter((row) => row.source === p.host && rowTruth(row) !== true).map((row) => Math.log1p(row.inputs[k]!));
        if (why.ownBaseline) {
          expect(own.length).toBeGreaterThanOrEqual(MIN_BASELINE_WINDOWS);
          expect(r.usual).toBeCloseTo(Math.expm1(median(own)), 6);
          baselineHosts.add(p.host);
        } else {
          // A host seen in fewer windows is compared with the typical host: the median of the hosts' medians.
          expect(own.length).toBeLessThan(MIN_BASELINE_WINDOWS);
          expect(r.usual).toBeCloseTo(Math.expm1(typicalUsual(training, k)), 6);
          typicalHosts.add(p.host);
        }
      }
    }
    // The simulated attackers come from outside (no windows of their own before): the typical host.
    expect(typicalHosts.size + baselineHosts.size).toBeGreaterThan(0);
    // A port scan is flagged for its ports or destinations per flow, a flood or brute force for volume.
    const scan = flagged.find((p) => kinds.get(p.host) === 'vertical-scan' || kinds.get(p.host) === 'horizontal-scan');
    if (scan) expect(scan.why!.reasons.map((r) => r.feature).join(' ')).toMatch(/ports|destinations|small|failed|PerFlow|PerPacket/);
  });

  it('reports "vs truth" as per-class recall and precision (a recount of the rows)', () => {
    const { keeper } = run(5, 4, 3);
    const view = keeper.currentView()!;
    for (const [figures, rows] of [
      [view.vsTruth.training!, view.points],
      [view.vsTruth.scored!, view.scored],
    ] as const) {
      const judged = rows.filter((p) => p.truth !== undefined);
      const tp = judged.filter((p) => p.truth && p.label === ANOMALOUS).length;
      const fp = judged.filter((p) => !p.truth && p.label === ANOMALOUS).length;
      const fn = judged.filter((p) => p.truth && p.label !== ANOMALOUS).length;
      const tn = judged.length - tp - fp - fn;
      expect(figures.rows).toBe(judged.length);
      expect(figures.anomalous).toMatchObject({ support: tp + fn, predicted: tp + fp, correct: tp });
      expect(figures.normal).toMatchObject({ support: tn + fp, predicted: tn + fn, correct: tn });
      expect(figures.anomalous.recall).toBeCloseTo(tp / (tp + fn), 12);
      expect(figures.anomalous.precision).toBeCloseTo(tp / (tp + fp), 12);
    }
    // Accuracy would hide the attacks among many normal rows; recall of the anomalous class does not.
    expect(view.vsTruth.scored!.anomalous.support).toBeLessThan(view.vsTruth.scored!.normal.support / 5);
  });
});

/** The typical host's usual log1p of input k: the median over hosts with enough normal windows of their medians. */
function typicalUsual(training: readonly FeatureRow[], k: number): number {
  const perHost = new Map<string, number[]>();
  for (const row of training) {
    if (rowTruth(row) === true) continue;
    const list = perHost.get(row.source) ?? [];
    list.push(Math.log1p(row.inputs[k]!));
    perHost.set(row.source, list);
  }
  const medians = [...perHost.values()].filter((v) => v.length >= MIN_BASELINE_WINDOWS).map(median);
  return median(medians);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
