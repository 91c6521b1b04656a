/**
 * The flow anomaly model: standard scaling, K-Means (k by silhouette), clusters labelled normal or
 * anomalous, and a distance-weighted KNN over the training points. A model is plain JSON.
 */
import { ANOMALOUS, DEFAULT_NEIGHBORS, MODEL_VERSION, NORMAL } from './classify.js';
import { chooseK } from './clustering.js';
import { FEATURE_NAMES } from './features.js';
import { fitScaler, transform, type Scaler } from './scaler.js';

export { ANOMALOUS, checkModel, classify, DEFAULT_NEIGHBORS, MODEL_VERSION, NORMAL } from './classify.js';
export type { Classification } from './classify.js';

export interface FlowModel {
  version: typeof MODEL_VERSION;
  kind: 'vigil.flow-model';
  features: readonly string[];
  /** The window the features were computed over (ms). */
  windowMs: number;
  scaler: Scaler;
  k: number;
  /** Silhouette score of each k tried. */
  silhouette: { k: number; score: number }[];
  /** Centroids in scaled space. */
  centroids: number[][];
  /** Label of each cluster (normal, anomalous, or the user's). */
  clusterLabels: string[];
  /** Training points (scaled) and their labels, for the KNN. */
  points: number[][];
  pointLabels: string[];
  neighbors: number;
}

export interface TrainOptions {
  windowMs?: number;
  minK?: number;
  maxK?: number;
  /** K-Means restarts per k (default 10). */
  restarts?: number;
  seed?: number;
  neighbors?: number;
  /**
   * Ground truth per row (true = anomalous): clusters are labelled by the majority of their rows.
   * Ignored for clusters that {@link clusterLabels} names.
   */
  truth?: readonly (boolean | undefined)[];
  /** Labels given by the user, by cluster index. */
  clusterLabels?: Record<number, string>;
}

/**
 * Trains a model on raw feature rows. Clusters without a user label are labelled by the majority
 * of the ground truth of their rows; without any, the largest cluster is normal and the others anomalous.
 */
export function trainModel(rows: readonly number[][], options: TrainOptions = {}): FlowModel {
  if (rows.length < 3) throw new RangeError(`training needs at least 3 feature rows, got ${rows.length}`);
  const scaler = fitScaler(rows as number[][]);
  const points = rows.map((r) => transform(scaler, r));
  const { best, scores } = chooseK(points, options.minK ?? 2, options.maxK ?? 20, { restarts: options.restarts, seed: options.seed });
  const sizes = new Array<number>(best.k).fill(0);
  const anomalous = new Array<number>(best.k).fill(0);
  const known = new Array<number>(best.k).fill(0);
  best.assignments.forEach((c, i) => {
    sizes[c]++;
    const t = options.truth?.[i];
    if (t !== undefined) {
      known[c]++;
      if (t) anomalous[c]++;
    }
  });
  const largest = sizes.indexOf(Math.max(...sizes));
  const clusterLabels = sizes.map((_, c) => {
    const given = options.clusterLabels?.[c];
    if (given) return given;
    if (known[c]) return anomalous[c] * 2 > known[c] ? ANOMALOUS : NORMAL;
    if (options.truth) return NORMAL; // a cluster without any labelled row: assume normal
    return c === largest ? NORMAL : ANOMALOUS;
  });
  return {
    version: MODEL_VERSION,
    kind: 'vigil.flow-model',
    features: FEATURE_NAMES,
    windowMs: options.windowMs ?? 60_000,
    scaler,
    k: best.k,
    silhouette: scores,
    centroids: best.centroids,
    clusterLabels,
    points,
    pointLabels: best.assignments.map((c) => clusterLabels[c]),
    neighbors: options.neighbors ?? DEFAULT_NEIGHBORS,
  };
}

