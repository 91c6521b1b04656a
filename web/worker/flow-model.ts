/**
 * The Flows view's model, kept in the worker: trains src/ml's flow model (standard scaling,
 * K-Means with k by silhouette, clusters labelled normal/anomalous, distance-weighted KNN) on
 * feature rows, places the rows in 2-D with a PCA of the scaled features, lets the user relabel a
 * cluster, and scores the windows that close after training with the KNN.
 */
import { nearestCentroid } from '../../src/ml/clustering.js';
import type { FeatureRow } from '../../src/ml/features.js';
import { ANOMALOUS, classify, NORMAL, trainModel, type FlowModel } from '../../src/ml/model.js';
import { fitPca, projectPca, type Pca } from '../../src/ml/pca.js';
import { transform } from '../../src/ml/scaler.js';
import type { FlowModelCluster, FlowModelPoint, FlowModelView } from '../../src/runtime/worker/protocol.js';

/**
 * Training rows kept (the newest): K-Means over k = 2..20 with 10 restarts each, as `vigil train`,
 * stays around a second, during which the worker's engine waits (the page does not).
 */
export const MAX_TRAINING_ROWS = 1000;
/** Scored rows kept for the plot and the flagged list (the newest). */
export const MAX_SCORED_ROWS = 600;

export interface FlowTrainOptions {
  /** Processing time of the training (epoch ms). */
  now: number;
  /** The window the rows were computed over. */
  windowMs?: number;
  maxRows?: number;
  minK?: number;
  maxK?: number;
  restarts?: number;
  seed?: number;
  neighbors?: number;
}

/** Ground truth of a row, as test/ml/data.ts defines it: most of its flows were injected anomalies. */
export function rowTruth(row: FeatureRow): boolean | undefined {
  return row.labelled ? row.anomalies * 2 > row.labelled : undefined;
}

/** The model with cluster `cluster` labelled `label`: the training points' labels (the KNN's votes) follow. */
export function relabelCluster(model: FlowModel, assignments: readonly number[], cluster: number, label: string): FlowModel {
  if (!(cluster >= 0 && cluster < model.k)) throw new RangeError(`no cluster ${cluster} (the model has ${model.k})`);
  const clusterLabels = model.clusterLabels.map((l, c) => (c === cluster ? label : l));
  // A new object: classify() caches its KNN per model object.
  return { ...model, clusterLabels, pointLabels: assignments.map((c) => clusterLabels[c]!) };
}

export class FlowModelKeeper {
  private model: FlowModel | undefined;
  private pca: Pca | undefined;
  private assignments: number[] = [];
  private rows: FeatureRow[] = [];
  private truth: (boolean | undefined)[] = [];
  private userLabels = new Map<number, string>();
  private scoredRows: FeatureRow[] = [];
  private view: FlowModelView | undefined;
  private versions = 0;

  /** The trained model (src/ml's JSON), if any. */
  get current(): FlowModel | undefined {
    return this.model;
  }

  train(rows: readonly FeatureRow[], options: FlowTrainOptions): FlowModelView {
    const kept = rows.slice(-(options.maxRows ?? MAX_TRAINING_ROWS));
    if (kept.length < 3) throw new RangeError(`training needs at least 3 host windows with flows, there are ${kept.length} so far`);
    const started = performance.now();
    const truth = kept.map(rowTruth);
    const model = trainModel(
      kept.map((r) => r.features),
      {
        windowMs: options.windowMs,
        truth: truth.some((t) => t !== undefined) ? truth : undefined,
        minK: options.minK,
        maxK: options.maxK,
        restarts: options.restarts,
        seed: options.seed,
        neighbors: options.neighbors,
      },
    );
    this.model = model;
    this.rows = [...kept];
    this.truth = truth;
    // K-Means' final assignment is the nearest centroid of each point.
    this.assignments = model.points.map((p) => nearestCentroid(model.centroids, p));
    this.pca = fitPca(model.points, 2);
    this.userLabels.clear();
    this.scoredRows = [];
    return this.rebuild(options.now, performance.now() - started);
  }

  /** The user's label for a cluster; the KNN votes with it, the scored rows are voted again. */
  label(cluster: number, label: string): FlowModelView {
    if (!this.model || !this.view) throw new Error('train the model first');
    this.model = relabelCluster(this.model, this.assignments, cluster, label);
    this.userLabels.set(cluster, label);
    return this.rebuild(this.view.trainedAt, this.view.ms);
  }

  /** Classifies the rows of a window that closed after training (no-op without a model). */
  score(rows: readonly FeatureRow[]): void {
    if (!this.model || !rows.length) return;
    this.scoredRows.push(...rows);
    if (this.scoredRows.length > MAX_SCORED_ROWS) this.scoredRows.splice(0, this.scoredRows.length - MAX_SCORED_ROWS);
    if (this.view) this.rebuild(this.view.trainedAt, this.view.ms);
  }

  /** The verdict of the model on one feature vector, if there is a model. */
  classify(features: readonly number[]): { label: string; score: number } | undefined {
    if (!this.model) return undefined;
    const c = classify(this.model, features);
    return { label: c.label, score: c.score };
  }

  currentView(): FlowModelView | undefined {
    return this.view;
  }

  /** Flagged rows (the KNN says anomalous) among the scored ones. */
  get flagged(): number {
    return this.view?.scored.filter((p) => p.label === ANOMALOUS).length ?? 0;
  }

  clear(): void {
    this.model = undefined;
    this.pca = undefined;
    this.view = undefined;
    this.rows = [];
    this.scoredRows = [];
    this.userLabels.clear();
  }

  private rebuild(trainedAt: number, ms: number): FlowModelView {
    const model = this.model!;
    const pca = this.pca!;
    const plane = (scaled: readonly number[]) => {
      const [x = 0, y = 0] = projectPca(pca, scaled);
      return { x, y };
    };
    const points: FlowModelPoint[] = this.rows.map((row, i) => {
      const cluster = this.assignments[i]!;
      const truth = this.truth[i];
      return {
        host: row.source,
        windowStart: row.windowStart,
        features: row.features,
        ...plane(model.points[i]!),
        cluster,
        label: model.clusterLabels[cluster]!,
        ...(truth === undefined ? {} : { truth }),
      };
    });
    const anyTruth = this.truth.some((t) => t !== undefined);
    const clusters: FlowModelCluster[] = model.centroids.map((centroid, index) => {
      const members = points.filter((p) => p.cluster === index);
      const known = members.filter((p) => p.truth !== undefined);
      return {
        index,
        label: model.clusterLabels[index]!,
        labelledBy: this.userLabels.has(index) ? 'user' : anyTruth ? 'truth' : 'size',
        size: members.length,
        truthAnomalous: known.filter((p) => p.truth).length,
        truthKnown: known.length,
        ...plane(centroid),
      };
    });
    const scored: FlowModelPoint[] = this.scoredRows.map((row) => {
      const verdict = classify(model, row.features);
      const truth = rowTruth(row);
      return {
        host: row.source,
        windowStart: row.windowStart,
        features: row.features,
        ...plane(transform(model.scaler, row.features)),
        cluster: verdict.cluster,
        label: verdict.label,
        score: verdict.score,
        ...(truth === undefined ? {} : { truth }),
      };
    });
    const judged = points.filter((p) => p.truth !== undefined);
    this.view = {
      version: ++this.versions,
      trainedAt,
      ms,
      features: [...model.features],
      windowMs: model.windowMs,
      k: model.k,
      silhouette: model.silhouette,
      clusters,
      explained: pca.explainedRatio,
      points,
      scored,
      truthRows: judged.length,
      truthAgreement: judged.filter((p) => (p.label === ANOMALOUS) === p.truth).length,
    };
    return this.view;
  }
}

export { ANOMALOUS, NORMAL };
