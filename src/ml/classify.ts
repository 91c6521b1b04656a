/**
 * Scoring with a trained flow model: what the engine needs at run time (`utils.classify`), kept
 * apart from training so the engine does not carry K-Means and its matrix library.
 */
import { featureVector, type FeatureName } from './features.js';
import { WeightedKnn } from './knn.js';
import type { FlowModel } from './model.js';
import { nearestCentroid } from './nearest.js';
import { transform } from './scaler.js';

export const MODEL_VERSION = 1;
export const NORMAL = 'normal';
export const ANOMALOUS = 'anomalous';
/** Neighbours of the KNN vote. */
export const DEFAULT_NEIGHBORS = 36;

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
