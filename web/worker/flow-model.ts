/**
 * The Flows view's model, kept in the worker: trains src/ml's flow model — the host-baseline
 * feature set (each host's volumes against its own usual ones, plus shape features), standard
 * scaling, K-Means with k by silhouette, clusters labelled normal/anomalous, distance-weighted KNN
 * in which a training row of known truth votes with its truth — on feature rows, places the rows
 * in 2-D with a PCA of the scaled features, lets the user relabel a cluster, scores the windows
 * that close after training with the KNN, and says why a row is flagged (flowReasons).
 *
 * Why not the raw features (the seed's model, which the view trained before): on simulated flows
 * with attacks, K-Means over raw volumes mostly picks k = 2 and the attack rows are a minority of
 * the big cluster, so every cluster is labelled normal and the KNN flagged 1 to 3 of about 80
 * attack windows; the host-baseline model flags 76–85 of them with no false alarm
 * (test/web/flow-model-quality.test.ts).
 */
import { nearestCentroid } from '../../src/ml/clustering.js';
import { BASELINE_VOLUMES, HOST_BASELINE_INPUTS } from '../../src/ml/feature-sets.js';
import type { FeatureRow } from '../../src/ml/features.js';
import { ANOMALOUS, classify, modelFeatures, NORMAL, trainFlowModel, type FlowModel } from '../../src/ml/model.js';
import { fitPca, projectPca, type Pca } from '../../src/ml/pca.js';
import { transform } from '../../src/ml/scaler.js';
import type { FlowModelCluster, FlowModelPoint, FlowModelView } from '../../src/runtime/worker/protocol.js';

/** One feature of a flagged row, and how far it is from normal. */
export interface FlowReason {
  /** The model's feature (HOST_BASELINE_FEATURES of src/ml: `flowsVsHost`, `portsPerFlow`, …). */
  feature: string;
  /** Its value in the row. */
  value: number;
  /**
   * How far it is from the nearest normal centroid, in standard deviations of the training rows
   * (the model's scaled units): the row's coordinate along this feature minus the centroid's.
   */
  sigma: number;
  /** Volume features: what the host sent in this window and what it usually sends (median of its training windows, or the typical host's). */
  now?: number;
  usual?: number;
}

export interface FlowExplanation {
  /** Euclidean distance to the nearest normal centroid, in the model's scaled units (σ). */
  distance: number;
  /** The nearest normal cluster (undefined when every cluster is anomalous: then measured from the mean). */
  nearestNormal?: number;
  /** Whether the host has a baseline of its own (else the typical host's). */
  ownBaseline: boolean;
  /** The features furthest from normal, furthest first (at most MAX_REASONS, each at least MIN_REASON_SIGMA). */
  reasons: FlowReason[];
}

/** A row of the view with the model's inputs and, when it is anomalous, why. */
export type ExplainedFlowPoint = FlowModelPoint & { inputs?: number[]; why?: FlowExplanation };

/** Recall and precision of one class against the simulator's truth. */
export interface ClassFigures {
  /** Rows whose truth is this class. */
  support: number;
  /** Rows the model put in this class. */
  predicted: number;
  correct: number;
  recall?: number;
  precision?: number;
}

export interface TruthFigures {
  rows: number;
  anomalous: ClassFigures;
  normal: ClassFigures;
}

/** The model as the Flows view draws it, with explanations and per-class figures. */
export interface ExplainedFlowModelView extends FlowModelView {
  featureSet: string;
  /** The features the model clusters and votes on (the derived ones for host-baseline). */
  modelFeatures: string[];
  points: ExplainedFlowPoint[];
  scored: ExplainedFlowPoint[];
  /** Training rows (their point labels: truth where known) and rows scored since, against truth. */
  vsTruth: { training?: TruthFigures; scored?: TruthFigures };
}

/** Reasons listed per flagged row. */
export const MAX_REASONS = 3;
/** A feature closer than this to normal (σ) is no reason. */
export const MIN_REASON_SIGMA = 1;

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

/**
 * The model with cluster `cluster` labelled `label`: its training points' labels (their KNN votes)
 * follow; the other points keep theirs (their truth, where the model voted with it).
 */
export function relabelCluster(model: FlowModel, assignments: readonly number[], cluster: number, label: string): FlowModel {
  if (!(cluster >= 0 && cluster < model.k)) throw new RangeError(`no cluster ${cluster} (the model has ${model.k})`);
  const clusterLabels = model.clusterLabels.map((l, c) => (c === cluster ? label : l));
  // A new object: classify() caches its KNN per model object.
  return { ...model, clusterLabels, pointLabels: model.pointLabels.map((l, i) => (assignments[i] === cluster ? label : l)) };
}

export class FlowModelKeeper {
  private model: FlowModel | undefined;
  private pca: Pca | undefined;
  private assignments: number[] = [];
  private rows: FeatureRow[] = [];
  private truth: (boolean | undefined)[] = [];
  private userLabels = new Map<number, string>();
  private scoredRows: FeatureRow[] = [];
  private view: ExplainedFlowModelView | undefined;
  private versions = 0;

  /** The trained model (src/ml's JSON), if any. */
  get current(): FlowModel | undefined {
    return this.model;
  }

  train(rows: readonly FeatureRow[], options: FlowTrainOptions): ExplainedFlowModelView {
    const kept = rows.slice(-(options.maxRows ?? MAX_TRAINING_ROWS));
    if (kept.length < 3) throw new RangeError(`training needs at least 3 host windows with flows, there are ${kept.length} so far`);
    const started = performance.now();
    const truth = kept.map(rowTruth);
    const model = trainFlowModel(
      kept,
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
  label(cluster: number, label: string): ExplainedFlowModelView {
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

  /** The verdict of the model on one row's inputs (HOST_BASELINE_INPUTS order, FeatureRow.inputs), if there is a model. */
  classify(inputs: readonly number[]): { label: string; score: number; why?: FlowExplanation } | undefined {
    if (!this.model) return undefined;
    const c = classify(this.model, inputs);
    return c.label === ANOMALOUS ? { label: c.label, score: c.score, why: explainRow(this.model, inputs) } : { label: c.label, score: c.score };
  }

  currentView(): ExplainedFlowModelView | undefined {
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

  private rebuild(trainedAt: number, ms: number): ExplainedFlowModelView {
    const model = this.model!;
    const pca = this.pca!;
    const plane = (scaled: readonly number[]) => {
      const [x = 0, y = 0] = projectPca(pca, scaled);
      return { x, y };
    };
    // A training row's label is its vote in the KNN: its truth where known (host-baseline), else its cluster's.
    const points: ExplainedFlowPoint[] = this.rows.map((row, i) => {
      const cluster = this.assignments[i]!;
      const truth = this.truth[i];
      const label = model.pointLabels[i]!;
      return {
        host: row.source,
        windowStart: row.windowStart,
        features: row.features,
        inputs: row.inputs,
        ...plane(model.points[i]!),
        cluster,
        label,
        ...(truth === undefined ? {} : { truth }),
        ...(label === ANOMALOUS ? { why: explainRow(model, row.inputs) } : {}),
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
    const scored: ExplainedFlowPoint[] = this.scoredRows.map((row) => {
      const verdict = classify(model, row.inputs);
      const truth = rowTruth(row);
      return {
        host: row.source,
        windowStart: row.windowStart,
        features: row.features,
        inputs: row.inputs,
        ...plane(transform(model.scaler, modelFeatures(model, row.inputs))),
        cluster: verdict.cluster,
        label: verdict.label,
        score: verdict.score,
        ...(truth === undefined ? {} : { truth }),
        ...(verdict.label === ANOMALOUS ? { why: explainRow(model, row.inputs) } : {}),
      };
    });
    const judged = points.filter((p) => p.truth !== undefined);
    this.view = {
      featureSet: model.featureSet ?? 'raw',
      modelFeatures: [...(model.derivedFeatures ?? model.features)],
      vsTruth: { training: truthFigures(points), scored: truthFigures(scored) },
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

/** Per-class recall and precision of rows with ground truth; undefined when none has any. */
export function truthFigures(points: readonly { label: string; truth?: boolean }[]): TruthFigures | undefined {
  const judged = points.filter((p) => p.truth !== undefined);
  if (!judged.length) return undefined;
  const of = (positive: boolean): ClassFigures => {
    const support = judged.filter((p) => p.truth === positive).length;
    const predicted = judged.filter((p) => (p.label === ANOMALOUS) === positive).length;
    const correct = judged.filter((p) => p.truth === positive && (p.label === ANOMALOUS) === positive).length;
    return { support, predicted, correct, recall: support ? correct / support : undefined, precision: predicted ? correct / predicted : undefined };
  };
  return { rows: judged.length, anomalous: of(true), normal: of(false) };
}

/**
 * Why a row is where it is: its scaled features against the nearest normal centroid (in σ of the
 * training rows), the furthest first; for the volume features, what the host sent and what it
 * usually sends (its baseline's median, or the typical host's).
 */
export function explainRow(model: FlowModel, inputs: readonly number[]): FlowExplanation {
  const derived = modelFeatures(model, inputs);
  const x = transform(model.scaler, derived);
  let nearestNormal: number | undefined;
  let best = Infinity;
  model.centroids.forEach((c, i) => {
    if (model.clusterLabels[i] !== NORMAL) return;
    const d = distance(x, c);
    if (d < best) {
      best = d;
      nearestNormal = i;
    }
  });
  const origin = nearestNormal === undefined ? x.map(() => 0) : model.centroids[nearestNormal]!;
  const names = model.derivedFeatures ?? model.features;
  const hostBaseline = model.featureSet === 'host-baseline' && model.baseline;
  const sourceKey = inputs[HOST_BASELINE_INPUTS.indexOf('sourceKey')];
  const own = hostBaseline ? model.baseline!.hosts[String(sourceKey)] : undefined;
  const usual = own ?? (hostBaseline ? model.baseline!.typical : undefined);
  const reasons: FlowReason[] = names
    .map((feature, j) => {
      const reason: FlowReason = { feature, value: derived[j]!, sigma: x[j]! - origin[j]! };
      if (usual && j < BASELINE_VOLUMES.length) {
        reason.now = inputs[j]!;
        reason.usual = Math.expm1(usual[j]!);
      }
      return reason;
    })
    .filter((r) => Math.abs(r.sigma) >= MIN_REASON_SIGMA)
    .sort((a, b) => Math.abs(b.sigma) - Math.abs(a.sigma))
    .slice(0, MAX_REASONS);
  return { distance: distance(x, origin), nearestNormal, ownBaseline: own !== undefined, reasons };
}

function distance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}
