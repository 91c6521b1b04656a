/**
 * Scoring with a trained flow model: what the engine needs at run time (`utils.classify`), kept
 * apart from training so the engine does not carry K-Means and its matrix library.
 */
import { BASELINE_LENGTH, FEATURE_SETS, HOST_BASELINE_FEATURES, HOST_BASELINE_INPUTS, hostBaselineFeatures } from './feature-sets.js';
import { featureVector } from './features.js';
import { WeightedKnn } from './knn.js';
import { nearestCentroid } from './nearest.js';
import { transform } from './scaler.js';
import type { Classification, FlowModel } from './types.js';

export type { Classification } from './types.js';

/** The version of raw-feature models: the seed's format, which older Vigil reads too. */
export const RAW_MODEL_VERSION = 1 satisfies FlowModel['version'];
/** The version of host-baseline models (version 1 has no baselines). */
export const MODEL_VERSION = 2 satisfies FlowModel['version'];
export const NORMAL = 'normal';
export const ANOMALOUS = 'anomalous';
/** Neighbours of the KNN vote of a raw model (the seed's, as scikit-learn in the parity test). */
export const DEFAULT_NEIGHBORS = 36;
/**
 * Neighbours of the KNN vote of a host-baseline model. Attacks are rare among training rows (a
 * scan gives one to three rows): with 36 neighbours, the many normal rows a few standard deviations
 * away outvote the three scan rows next to a new scan (test/ml/flow-model-eval.test.ts).
 */
export const HOST_BASELINE_NEIGHBORS = 5;

const knns = new WeakMap<FlowModel, WeightedKnn>();

/**
 * Checks that a parsed JSON value is a model; throws TypeError with the reason otherwise. A model
 * without `featureSet` (written before there were two) is a raw-feature model.
 */
export function checkModel(value: unknown): FlowModel {
  const m = value as FlowModel;
  if (!m || typeof m !== 'object' || m.kind !== 'vigil.flow-model') throw new TypeError('not a Vigil flow model (kind must be "vigil.flow-model")');
  if (m.version !== RAW_MODEL_VERSION && m.version !== MODEL_VERSION) throw new TypeError(`flow model version ${String(m.version)} is not supported (expected ${RAW_MODEL_VERSION} or ${MODEL_VERSION})`);
  const featureSet = m.featureSet ?? 'raw';
  if (!FEATURE_SETS.includes(featureSet)) throw new TypeError(`flow model feature set '${String(featureSet)}' is unknown (expected ${FEATURE_SETS.join(' or ')})`);
  if (featureSet !== 'raw' && m.version !== MODEL_VERSION) throw new TypeError(`a '${featureSet}' flow model must be version ${MODEL_VERSION}`);
  const d = m.features?.length;
  if (!d) throw new TypeError('flow model has no features');
  const clustered = featureSet === 'raw' ? d : m.derivedFeatures?.length;
  if (featureSet === 'host-baseline') {
    if (m.derivedFeatures?.length !== HOST_BASELINE_FEATURES.length || d !== HOST_BASELINE_INPUTS.length) {
      throw new TypeError(`host-baseline flow model needs its ${HOST_BASELINE_INPUTS.length} inputs and ${HOST_BASELINE_FEATURES.length} derived features`);
    }
    const b = m.baseline;
    if (!b || typeof b !== 'object' || !Array.isArray(b.typical) || b.typical.length !== BASELINE_LENGTH || !b.hosts || typeof b.hosts !== 'object') throw new TypeError('host-baseline flow model needs a baseline (typical and hosts)');
    for (const [host, usual] of Object.entries(b.hosts)) if (!Array.isArray(usual) || usual.length !== BASELINE_LENGTH) throw new TypeError(`flow model baseline of host ${host} needs ${BASELINE_LENGTH} values`);
  }
  if (m.scaler?.mean?.length !== clustered || m.scaler?.scale?.length !== clustered) throw new TypeError('flow model scaler does not match its features');
  if (!Array.isArray(m.centroids) || m.centroids.length !== m.clusterLabels?.length) throw new TypeError('flow model needs one label per centroid');
  if (!Array.isArray(m.points) || m.points.length !== m.pointLabels?.length || !m.points.length) throw new TypeError('flow model needs labelled training points');
  return m;
}

/**
 * The vector a model clusters and votes on, from its inputs (an array in `model.features` order,
 * or an object keyed by them, as `utils.flowFeatures` gives): the inputs themselves for a raw
 * model; log volumes against the host's baseline and shape features for a host-baseline one.
 */
export function modelFeatures(model: FlowModel, features: readonly number[] | object): number[] {
  if (Array.isArray(features) && features.length !== model.features.length) {
    throw new RangeError(`the model takes ${model.features.length} features (${model.features.join(', ')}); got ${features.length}`);
  }
  const input = featureVector(features, model.features);
  return model.featureSet === 'host-baseline' ? hostBaselineFeatures(input, model.baseline!) : input;
}

/**
 * Classifies one window's features (an array in the model's `features` order, or an object keyed
 * by them such as `utils.flowFeatures` returns). Pure: the same model and features give the same answer.
 */
export function classify(model: FlowModel, features: readonly number[] | object): Classification {
  const x = transform(model.scaler, modelFeatures(model, features));
  let knn = knns.get(model);
  if (!knn) knns.set(model, (knn = new WeightedKnn(model.points, model.pointLabels, model.neighbors)));
  const vote = knn.vote(x);
  return { label: vote.label, cluster: nearestCentroid(model.centroids, x), score: vote.shares[ANOMALOUS] ?? 0 };
}
