/** Flow anomaly detection: features, scaling, K-Means with k by silhouette, weighted KNN. Runtime-agnostic. */

// Features
export { FEATURE_NAMES, featureVector, flowFeatures } from './features.js';
export type { FeatureName, FeatureRow, FlowLike } from './features.js';

// Feature sets
export {
  BASELINE_LENGTH,
  BASELINE_VOLUMES,
  DEFAULT_FEATURE_SET,
  FEATURE_SETS,
  fitBaseline,
  HOST_BASELINE_FEATURES,
  HOST_BASELINE_INPUTS,
  hostBaselineFeatures,
  MAX_BASELINE_HOSTS,
  MIN_BASELINE_WINDOWS,
  RAW_FEATURES,
} from './feature-sets.js';
export type { FeatureSetName, HostBaseline } from './feature-sets.js';

// Model
export { ANOMALOUS, checkModel, classify, DEFAULT_NEIGHBORS, HOST_BASELINE_NEIGHBORS, MAX_TRAINING_ROWS, MODEL_VERSION, modelFeatures, NORMAL, RAW_MODEL_VERSION, trainFlowModel, trainModel } from './model.js';
export type { Classification, FlowModel, FlowTrainOptions, TrainOptions } from './model.js';

// Building blocks
export { fitScaler, transform } from './scaler.js';
export type { Scaler } from './scaler.js';
export { chooseK, cluster, distanceMatrix, nearestCentroid, silhouette } from './clustering.js';
export type { Clustering, KChoice, KMeansOptions } from './clustering.js';
export { WeightedKnn } from './knn.js';
export { covariance, fitPca, projectPca, symmetricEigen } from './pca.js';
export type { Pca } from './pca.js';
export type { Vote } from './knn.js';
