/**
 * Parity with scikit-learn (Debian python3-sklearn): the same features, StandardScaler + KMeans
 * (k by silhouette over 2..20) + KNeighborsClassifier(36, weights='distance'). Same k, adjusted Rand
 * index ≥ 0.95 between the cluster assignments, KNN accuracy within 1 percentage point.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify, nearestCentroid, trainModel } from '../../src/ml/index.js';
import { adjustedRand, simulatedRows, toCsv } from './data.js';

/** Debian's python3 (where python3-sklearn installs), else whatever python3 is on the PATH. */
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn']).status === 0);
const dir = mkdtempSync(join(tmpdir(), 'vigil-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!PYTHON)('parity with scikit-learn', () => {
  it('same k, ARI ≥ 0.95, KNN accuracy within 1 point', () => {
    const train = simulatedRows(21, 20);
    const test = simulatedRows(22, 10);
    writeFileSync(join(dir, 'train.csv'), toCsv(train.rows, train.truth));
    writeFileSync(join(dir, 'test.csv'), toCsv(test.rows, test.truth));
    const py = spawnSync(PYTHON!, [join(__dirname, 'sklearn_parity.py'), join(dir, 'train.csv'), join(dir, 'test.csv')], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    const sk = JSON.parse(py.stdout) as { k: number; assignments: number[]; accuracy: number; scores: { k: number; score: number }[] };

    const model = trainModel(train.rows.map((r) => r.features), { truth: train.truth });
    const ours = model.points.map((p) => nearestCentroid(model.centroids, p));
    const predicted = test.rows.map((r) => classify(model, r.features).label);
    const accuracy = predicted.filter((l, i) => (l === 'anomalous') === test.truth[i]).length / test.rows.length;

    expect(train.truth.filter(Boolean).length).toBeGreaterThan(5);
    expect(model.k).toBe(sk.k);
    expect(adjustedRand(ours, sk.assignments)).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(accuracy - sk.accuracy)).toBeLessThanOrEqual(0.01);
    expect(accuracy).toBeGreaterThan(0.9);
    // the silhouette curves agree too, where both found the same partition
    for (const { k, score } of model.silhouette.slice(0, 3)) expect(score).toBeCloseTo(sk.scores.find((s) => s.k === k)!.score, 1);
  }, 120_000);
});

if (!PYTHON) console.warn('scikit-learn is not installed (Debian: apt-get install python3-sklearn): the parity test is skipped');
