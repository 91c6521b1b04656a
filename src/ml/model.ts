/**
 * The flow anomaly model: standard scaling, K-Means (k by silhouette), clusters labelled normal or
 * anomalous, and a distance-weighted KNN over the training points. A model is plain JSON.
 */
import { chooseK, nearestCentroid } from './clustering.js';
import { FEATURE_NAMES, featureVector, type FeatureName } from './features.js';
import { WeightedKnn } from './knn.js';
import { fitScaler, transform, type Scaler } from './scaler.js';

export const MODEL_VERSION = 1;
export const NORMAL = 'normal';
export const ANOMALOUS = 'anomalous';
/** Neighbours of the KNN vote. */
export const DEFAULT_NEIGHBORS = 36;

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

export interface Classification {
  /** The KNN's label (distance-weighted vote of the nearest training points). */
  label: string;
  /** The nearest centroid. */
  cluster: number;
  /** Share of the vote that says anomalous, 0–1. */
  score: number;
}

const knns = new WeakMap<FlowModel, WeightedKnn>();

/** Checks that a parsed JSON value is a model; throws TypeError with the reason otherwise. */
export function checkModel(value: unknown): FlowModel {
  const m = value as FlowModel;
  if (!m || typeof m !== 'object' || m.kind !== 'vigil.flow-model') throw new TypeError('not a Vigil flow model (kind must be "vigil.flow-model")');
  if (m.version !== MODEL_VERSION) throw new TypeError(`flow model version ${String(m.version)} is not supported (expected ${MODEL_VERSION})`);
  const d = m.features?.length;
  if (!d || m.scaler?.mean?.length !== d || m.scaler?.scale?.length !== d) throw new TypeError('flow model scaler does not match its features');
  if (!Array.isArray(m.centroids) || m.centroids.length !== m.clusterLabels?.length) throw new TypeError('flow model needs one label per centroid');
  if (!Array.isArray(m.points) || m.points.length !== m.pointLabels?.length || !m.points.length) throw new TypeError('flow model needs labelled training points');
  return m;
}

/**
 * Classifies one feature vector (an array in {@link FEATURE_NAMES} order, or an object keyed by
 * them). Pure: the same model and features give the same answer.
 */
export function classify(model: FlowModel, features: readonly number[] | Partial<Record<FeatureName, number>>): Classification {
  const x = transform(model.scaler, featureVector(features));
  let knn = knns.get(model);
  if (!knn) knns.set(model, (knn = new WeightedKnn(model.points, model.pointLabels, model.neighbors)));
  const vote = knn.vote(x);
  return { label: vote.label, cluster: nearestCentroid(model.centroids, x), score: vote.shares[ANOMALOUS] ?? 0 };
}
