/**
 * The types that training (model.ts), scoring (classify.ts), the engine's model registry and the
 * rules' `utils.classify` share. Types only, importing nothing but the rule language (the layer
 * below): the engine may import this file and nothing else of src/ml
 * (test/security/import-graph.test.ts), so it never carries training code.
 */
import type { FlowClassification } from '../lang/utils.js';

/** Which features a model computes from its inputs. */
export type FeatureSetName = 'raw' | 'host-baseline';

/** Standard scaling (zero mean, unit variance per feature), as scikit-learn's StandardScaler. */
export interface Scaler {
  mean: number[];
  /** Population standard deviation; 1 where a feature is constant. */
  scale: number[];
}

/** A host-baseline model's usual volumes: per known host, and the typical host's. */
export interface HostBaseline {
  hosts: Record<string, number[]>;
  typical: number[];
  minWindows: number;
}

/** A trained flow model, as plain JSON (what `vigil train` writes and `utils.classify` reads). */
export interface FlowModel {
  /** 1 for raw-feature models (the seed's format), 2 for host-baseline ones (RAW_MODEL_VERSION, MODEL_VERSION in classify.ts). */
  version: 1 | 2;
  kind: 'vigil.flow-model';
  /** Which features the model computes from its inputs; absent in models written before there were two: raw. */
  featureSet?: FeatureSetName;
  /** The model's inputs, in the order of an input vector (keys of `utils.flowFeatures`). */
  features: readonly string[];
  /** host-baseline: the features clustered and voted on, computed from the inputs. */
  derivedFeatures?: readonly string[];
  /** host-baseline: each known host's usual volumes, and the typical host's. */
  baseline?: HostBaseline;
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

/** What scoring one feature vector gives: what `utils.classify` returns to rules (src/lang/utils.ts). */
export type Classification = FlowClassification;
