/** Feature rows of simulated flows with their ground truth, shared by the ML tests and the bench. */
import { flowFeatures, type FeatureRow } from '../../src/ml/index.js';
import { createGenerator } from '../../src/simulate/index.js';

/** Rows (per source per minute) of `minutes` of the flows generator, and truth = majority of anomalous flows. */
export function simulatedRows(seed: number, minutes: number, rate = 20, errorProbability = 0.05): { rows: FeatureRow[]; truth: boolean[] } {
  const g = createGenerator('flows', { seed, rate, errorProbability, clients: 100 });
  const sims = g.take(Math.round(rate * 60 * minutes));
  sims.push(...g.settle());
  const anomalous = new WeakSet(sims.filter((s) => s.anomaly).map((s) => s.event));
  const rows = flowFeatures(sims.map((s) => s.event), 60_000, (f) => anomalous.has(f));
  return { rows, truth: rows.map((r) => r.anomalies * 2 > r.labelled) };
}

export function toCsv(rows: readonly FeatureRow[], truth: readonly boolean[]): string {
  return `bytes,flows,packets,destinations,ports,anomaly\n${rows.map((r, i) => `${r.features.join(',')},${truth[i] ? 1 : 0}`).join('\n')}\n`;
}

/** Adjusted Rand index of two clusterings. */
export function adjustedRand(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const table = new Map<string, number>();
  const rowsA = new Map<number, number>();
  const colsB = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = `${a[i]}|${b[i]}`;
    table.set(k, (table.get(k) ?? 0) + 1);
    rowsA.set(a[i], (rowsA.get(a[i]) ?? 0) + 1);
    colsB.set(b[i], (colsB.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of rowsA.values()) sa += c2(v);
  let sb = 0;
  for (const v of colsB.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
