/** Flow anomaly detection: features, scaling, K-Means with k by silhouette, weighted KNN. Runtime-agnostic. */

// Features
export { FEATURE_NAMES, featureVector, flowFeatures } from './features.js';
export type { FeatureName, FeatureRow, FlowLike } from './features.js';

// Model
export { ANOMALOUS, checkModel, classify, DEFAULT_NEIGHBORS, MODEL_VERSION, NORMAL, trainModel } from './model.js';
export type { Classification, FlowModel, TrainOptions } from './model.js';

// Building blocks
export { fitScaler, transform } from './scaler.js';
export type { Scaler } from './scaler.js';
export { chooseK, cluster, distanceMatrix, nearestCentroid, silhouette } from './clustering.js';
export type { Clustering, KChoice, KMeansOptions } from './clustering.js';
export { WeightedKnn } from './knn.js';
export { covariance, fitPca, projectPca, symmetricEigen } from './pca.js';
export type { Pca } from './pca.js';
export type { Vote } from './knn.js';
