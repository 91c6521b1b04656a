/**
 * The flow anomaly model: features (raw, or log volumes against each host's baseline plus shape
 * features), standard scaling, K-Means (k by silhouette), clusters labelled normal or anomalous,
 * and a distance-weighted KNN over the training points. A model is plain JSON.
 */
import { ANOMALOUS, DEFAULT_NEIGHBORS, HOST_BASELINE_NEIGHBORS, MODEL_VERSION, NORMAL, RAW_MODEL_VERSION } from './classify.js';
import { chooseK } from './clustering.js';
import { DEFAULT_FEATURE_SET, fitBaseline, HOST_BASELINE_FEATURES, HOST_BASELINE_INPUTS, hostBaselineFeatures, MIN_BASELINE_WINDOWS, type FeatureSetName, type HostBaseline } from './feature-sets.js';
import { FEATURE_NAMES, type FeatureRow } from './features.js';
import { fitScaler, transform, type Scaler } from './scaler.js';
import type { FlowModel } from './types.js';

export { ANOMALOUS, checkModel, classify, DEFAULT_NEIGHBORS, HOST_BASELINE_NEIGHBORS, MODEL_VERSION, modelFeatures, NORMAL, RAW_MODEL_VERSION } from './classify.js';
export type { Classification, FlowModel } from './types.js';


export interface TrainOptions {
  windowMs?: number;
  minK?: number;
  maxK?: number;
  /** K-Means restarts per k (default 10). */
  restarts?: number;
  seed?: number;
  /** Neighbours of the KNN vote (default {@link DEFAULT_NEIGHBORS} raw, {@link HOST_BASELINE_NEIGHBORS} host-baseline). */
  neighbors?: number;
  /**
   * Ground truth per row (true = anomalous): clusters are labelled by the majority of their rows.
   * Ignored for clusters that {@link clusterLabels} names.
   */
  truth?: readonly (boolean | undefined)[];
  /** Labels given by the user, by cluster index. */
  clusterLabels?: Record<number, string>;
}

export interface FlowTrainOptions extends TrainOptions {
  /** Default {@link DEFAULT_FEATURE_SET} (host-baseline). */
  featureSet?: FeatureSetName;
  /** Above this many rows the silhouette's n×n distances get too large: rows are sampled evenly (default {@link MAX_TRAINING_ROWS}). */
  maxRows?: number;
}

/** Rows clustered at most (the silhouette needs n² distances); baselines use all rows. */
export const MAX_TRAINING_ROWS = 5000;

interface Fit {
  scaler: Scaler;
  points: number[][];
  k: number;
  silhouette: { k: number; score: number }[];
  centroids: number[][];
  assignments: number[];
  clusterLabels: string[];
}

/**
 * Scaling, K-Means with k by silhouette, and cluster labels: the user's, else the majority of the
 * ground truth of their rows, else (no truth at all) the largest cluster normal, and with `hostOf`
 * (each row's host) also every cluster holding mostly {@link isRecurring} behaviour; the others anomalous.
 */
function fitClusters(rows: readonly number[][], options: TrainOptions, hostOf?: readonly number[]): Fit {
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
    return c === largest || (hostOf && isRecurring(best.assignments, hostOf, c)) ? NORMAL : ANOMALOUS;
  });
  return { scaler, points, k: best.k, silhouette: scores, centroids: best.centroids, assignments: best.assignments, clusterLabels };
}

/**
 * Whether cluster `c` is mostly behaviour its hosts repeat: at least half of its rows come from
 * hosts with {@link MIN_BASELINE_WINDOWS} or more rows in it (host 0, unknown, never counts). A
 * busy server answering clients every minute forms a small cluster of its own, which "the largest
 * cluster is normal" alone would call anomalous every minute; a scan, a flood or a brute force from
 * one source lasts a window or a few.
 */
function isRecurring(assignments: readonly number[], hostOf: readonly number[], c: number): boolean {
  const perHost = new Map<number, number>();
  let size = 0;
  assignments.forEach((a, i) => {
    if (a !== c) return;
    size++;
    if (hostOf[i]) perHost.set(hostOf[i], (perHost.get(hostOf[i]) ?? 0) + 1);
  });
  let recurring = 0;
  for (const n of perHost.values()) if (n >= MIN_BASELINE_WINDOWS) recurring += n;
  return recurring * 2 >= size;
}

/**
 * Trains a raw-feature model on feature vectors (the seed's model, in parity with scikit-learn):
 * every training point votes with its cluster's label.
 */
export function trainModel(rows: readonly number[][], options: TrainOptions = {}): FlowModel {
  const fit = fitClusters(rows, options);
  return {
    version: RAW_MODEL_VERSION,
    kind: 'vigil.flow-model',
    featureSet: 'raw',
    features: FEATURE_NAMES,
    windowMs: options.windowMs ?? 60_000,
    scaler: fit.scaler,
    k: fit.k,
    silhouette: fit.silhouette,
    centroids: fit.centroids,
    clusterLabels: fit.clusterLabels,
    points: fit.points,
    pointLabels: fit.assignments.map((c) => fit.clusterLabels[c]),
    neighbors: options.neighbors ?? DEFAULT_NEIGHBORS,
  };
}

/**
 * Trains a model on the feature rows of {@link flowFeatures}, with the chosen feature set.
 *
 * host-baseline: each host's baseline is fitted on all rows (its windows known to be anomalous
 * left out), rows are sampled to `maxRows` for clustering, and a training point whose ground truth
 * is known votes with it — a scan is anomalous even when it falls in a mostly normal cluster; the
 * others vote with their cluster's label, as in the raw model.
 */
export function trainFlowModel(rows: readonly FeatureRow[], options: FlowTrainOptions = {}): FlowModel {
  const featureSet = options.featureSet ?? DEFAULT_FEATURE_SET;
  const maxRows = options.maxRows ?? MAX_TRAINING_ROWS;
  const picked = rows.length > maxRows ? Array.from({ length: maxRows }, (_, i) => Math.floor((i * rows.length) / maxRows)) : rows.map((_, i) => i);
  const truth = options.truth ? picked.map((i) => options.truth![i]) : undefined;
  if (featureSet === 'raw') return trainModel(picked.map((i) => rows[i].features), { ...options, truth });
  const baseline = fitBaseline(rows.map((r) => r.inputs), options.truth);
  const keyAt = HOST_BASELINE_INPUTS.indexOf('sourceKey');
  const fit = fitClusters(picked.map((i) => hostBaselineFeatures(rows[i].inputs, baseline)), { ...options, truth }, picked.map((i) => rows[i].inputs[keyAt]));
  return {
    version: MODEL_VERSION,
    kind: 'vigil.flow-model',
    featureSet,
    features: HOST_BASELINE_INPUTS,
    derivedFeatures: HOST_BASELINE_FEATURES,
    baseline,
    windowMs: options.windowMs ?? 60_000,
    scaler: fit.scaler,
    k: fit.k,
    silhouette: fit.silhouette,
    centroids: fit.centroids,
    clusterLabels: fit.clusterLabels,
    points: fit.points,
    pointLabels: fit.assignments.map((c, i) => {
      const t = truth?.[i];
      return t === undefined || options.clusterLabels?.[c] ? fit.clusterLabels[c] : t ? ANOMALOUS : NORMAL;
    }),
    neighbors: options.neighbors ?? HOST_BASELINE_NEIGHBORS,
  };
}
