import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrain } from '../../src/cli/train.js';
import { checkModel, chooseK, classify, distanceMatrix, fitScaler, flowFeatures, silhouette, trainModel, transform, WeightedKnn } from '../../src/ml/index.js';
import { createGenerator } from '../../src/simulate/index.js';
import { simulatedRows } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-ml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('features', () => {
  it('sum bytes, flows, packets, distinct destinations and ports per source per window', () => {
    const f = (src: string, dst: string, port: number, bytes: number, packets: number, t: number) => ({ 'source.ip': src, 'destination.ip': dst, 'destination.port': port, 'network.bytes': bytes, 'network.packets': packets, 'event.start': t });
    const rows = flowFeatures([f('a', 'x', 80, 100, 2, 1000), f('a', 'y', 80, 50, 1, 2000), f('a', 'y', 443, 10, 1, 59_999), f('b', 'x', 22, 7, 1, 3000), f('a', 'x', 80, 1, 1, 60_000)], 60_000);
    expect(rows.map((r) => [r.source, r.windowStart, r.features])).toEqual([
      ['a', 0, [160, 3, 4, 2, 2]],
      ['b', 0, [7, 1, 1, 1, 1]],
      ['a', 60_000, [1, 1, 1, 1, 1]],
    ]);
  });
});

describe('scaling, silhouette, KNN', () => {
  it('standard scaling uses the population deviation and leaves constant features at scale 1', () => {
    const s = fitScaler([[1, 5], [3, 5]]);
    expect(s).toEqual({ mean: [2, 5], scale: [1, 1] });
    expect(transform(s, [3, 6])).toEqual([1, 1]);
  });

  it('silhouette of two tight, far clusters is near 1 and k = 2 wins', () => {
    const points = [[0, 0], [0, 1], [1, 0], [100, 100], [100, 101], [101, 100]];
    const s = silhouette(distanceMatrix(points), 6, [0, 0, 0, 1, 1, 1], 2);
    expect(s).toBeGreaterThan(0.98);
    expect(chooseK(points, 2, 4).best.k).toBe(2);
  });

  it('weights neighbours by 1/distance; a point at distance 0 takes the vote', () => {
    // two close 'anomalous' points outweigh three far 'normal' ones
    const knn = new WeightedKnn([[1], [1.1], [10], [11], [12]], ['anomalous', 'anomalous', 'normal', 'normal', 'normal'], 5);
    const v = knn.vote([0]);
    expect(v.label).toBe('anomalous');
    const w = [1, 1 / 1.1, 1 / 10, 1 / 11, 1 / 12];
    expect(v.shares.anomalous).toBeCloseTo((w[0] + w[1]) / w.reduce((a, b) => a + b), 12);
    expect(knn.vote([10]).shares).toEqual({ anomalous: 0, normal: 1 });
  });
});

describe('KNN search', () => {
  it('votes with exactly the k nearest points, as a full sort of the distances does', () => {
    let seed = 5;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const points = Array.from({ length: 500 }, () => Array.from({ length: 5 }, () => Math.round(random() * 20)));
    const labels = points.map((p) => (p[0]! + p[1]! > 20 ? 'anomalous' : 'normal'));
    const knn = new WeightedKnn(points, labels, 36);
    for (let q = 0; q < 100; q++) {
      const x = Array.from({ length: 5 }, () => random() * 20);
      // Reference: sort every point by distance and weigh the first 36 (no point is at distance 0).
      const ranked = points.map((p, i) => ({ d: Math.hypot(...p.map((v, j) => v - x[j]!)), label: labels[i]! })).sort((a, b) => a.d - b.d);
      const weights: Record<string, number> = { anomalous: 0, normal: 0 };
      for (const { d, label } of ranked.slice(0, 36)) weights[label] += 1 / d;
      const total = weights.anomalous! + weights.normal!;
      const vote = knn.vote(x);
      expect(vote.shares.anomalous).toBeCloseTo(weights.anomalous! / total, 12);
      expect(vote.label).toBe(weights.anomalous! > weights.normal! ? 'anomalous' : 'normal');
    }
  });
});

describe('model', () => {
  const { rows, truth } = simulatedRows(5, 8);
  const model = trainModel(rows.map((r) => r.features), { truth });

  it('is JSON that survives a round trip and classifies the same', () => {
    const copy = checkModel(JSON.parse(JSON.stringify(model)));
    for (const r of rows.slice(0, 50)) expect(classify(copy, r.features)).toEqual(classify(model, r.features));
    expect(model.points).toHaveLength(rows.length);
    expect(model.clusterLabels).toContain('anomalous');
    expect(() => checkModel({ kind: 'x' })).toThrow(TypeError);
  });

  it('classify: nearest cluster, weighted vote, score in [0, 1]', () => {
    // with raw features and standard scaling, byte volume dominates: floods form their own cluster
    // (small scans do not separate); with 36 neighbours and only a few flood rows in training, the
    // vote still leans normal, but the anomalous share shows
    const flood = classify(model, { bytes: 80 * 3000 * 900, flows: 80, packets: 80 * 3000, distinctDestinations: 1, distinctDestinationPorts: 1 });
    expect(model.clusterLabels[flood.cluster]).toBe('anomalous');
    expect(flood.score).toBeGreaterThan(0.2);
    const known = rows.findIndex((_, i) => model.pointLabels[i] === 'anomalous');
    expect(classify(model, rows[known].features)).toMatchObject({ label: 'anomalous', score: 1 }); // a training point takes the vote
    const quiet = classify(model, [2000, 3, 10, 2, 2]);
    expect(quiet).toMatchObject({ label: 'normal' });
    expect(quiet.score).toBeLessThan(0.5);
    expect(model.clusterLabels[quiet.cluster]).toBe('normal');
  });

  it('user labels override the ground truth', () => {
    const m = trainModel(rows.map((r) => r.features), { truth, clusterLabels: { 0: 'suspicious' } });
    expect(m.clusterLabels[0]).toBe('suspicious');
  });
});

describe('vigil train', () => {
  it('writes a model from flow JSON lines with ground truth', async () => {
    const g = createGenerator('flows', { seed: 3, rate: 20, errorProbability: 0.05 });
    const sims = g.take(20 * 60 * 6);
    const input = join(dir, 'flows.jsonl');
    writeFileSync(input, sims.map((s) => JSON.stringify({ ...s.event, anomaly: s.anomaly })).join('\n') + '\nnot json\n');
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d) => (err += d));
    const out = join(dir, 'model.json');
    const code = await runTrain({ input, out }, { stdin: new PassThrough(), stdout: new PassThrough(), stderr, version: 't' });
    expect(code).toBe(0);
    expect(err).toMatch(/flows.jsonl:\d+: malformed JSON/);
    expect(err).toMatch(/k=\d+/);
    const model = checkModel(JSON.parse(readFileSync(out, 'utf8')));
    expect(model.featureSet).toBe('host-baseline');
    expect(model.pointLabels).toContain('anomalous');
    // traffic without anomalies (another seed): almost every host-minute is normal
    const clean = createGenerator('flows', { seed: 4, rate: 20, errorProbability: 0 });
    const cleanRows = flowFeatures(clean.take(20 * 60 * 3).map((s) => s.event), 60_000);
    expect(cleanRows.length).toBeGreaterThan(200);
    expect(cleanRows.filter((r) => classify(model, r.inputs).label === 'normal').length).toBeGreaterThanOrEqual(0.95 * cleanRows.length);

    await runTrain({ input, out, features: 'raw' }, { stdin: new PassThrough(), stdout: new PassThrough(), stderr, version: 't' });
    const raw = checkModel(JSON.parse(readFileSync(out, 'utf8')));
    expect([raw.featureSet, raw.version, raw.features.length]).toEqual(['raw', 1, 5]);
    expect(raw.clusterLabels).toContain('anomalous');
    expect(classify(raw, [2000, 3, 10, 2, 2]).label).toBe('normal');

    await runTrain({ input, out, labels: '0=a,1=b' }, { stdin: new PassThrough(), stdout: new PassThrough(), stderr, version: 't' });
    expect(checkModel(JSON.parse(readFileSync(out, 'utf8'))).clusterLabels.slice(0, 2)).toEqual(['a', 'b']);
    await expect(runTrain({ input, out, features: 'log' }, { stdin: new PassThrough(), stdout: new PassThrough(), stderr, version: 't' })).rejects.toThrow("--features takes raw or host-baseline, got 'log'");
  }, 60_000);
});
