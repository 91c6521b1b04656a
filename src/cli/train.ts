/**
 * `vigil train`: a flow anomaly model from flow JSON lines. Features per source per window,
 * standard scaling, K-Means with k by silhouette (2..20), clusters labelled by the ground truth in
 * the lines (`anomaly: true|false` or `label: "normal"|"anomalous"`), by --labels, or else the
 * largest cluster normal; the model (JSON) keeps the training points for the KNN of `classify`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { flowFeatures, trainModel, type FlowLike } from '../ml/index.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';

export interface TrainSpec {
  /** Flow JSON lines (FlowEvent objects, e.g. from `vigil simulate flows` or a collector). */
  input: string;
  /** Where to write the model JSON. */
  out: string;
  /** Feature window in ms (default 60000). */
  window?: number;
  /** Cluster labels: `0=normal,1=anomalous` or a JSON file `{"0": "normal", …}`. */
  labels?: string;
}

export const TRAIN_USAGE = `  vigil train <flows.jsonl> --out <model.json> [--window <ms>] [--labels <0=normal,1=anomalous | file.json>]
      Trains the flow anomaly model (K-Means, k by silhouette over 2..20, then a 36-nearest-neighbour
      vote) on flow JSON lines; lines carrying "anomaly" or "label" label the clusters by majority.`;

/** Above this many feature rows the silhouette's n×n distances get too large: rows are sampled evenly. */
export const MAX_TRAINING_ROWS = 5000;

export async function runTrain(spec: TrainSpec, io: CliIO): Promise<number> {
  const windowMs = spec.window ?? 60_000;
  if (!(Number.isInteger(windowMs) && windowMs > 0)) throw new UsageError(`--window takes a positive number of ms, got ${spec.window}`);
  let text: string;
  try {
    text = await readFile(spec.input, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read flows '${spec.input}': ${(error as Error).message}`);
  }
  const flows: FlowLike[] = [];
  const truth = new Map<FlowLike, boolean>();
  let bad = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (bad++ < 10) io.stderr.write(`${spec.input}:${i + 1}: not JSON\n`);
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      if (bad++ < 10) io.stderr.write(`${spec.input}:${i + 1}: not a JSON object\n`);
      return;
    }
    const flow = value as FlowLike;
    flows.push(flow);
    if (typeof flow.anomaly === 'boolean') truth.set(flow, flow.anomaly);
    else if (flow.label === 'anomalous' || flow.label === 'normal') truth.set(flow, flow.label === 'anomalous');
  });
  let rows = flowFeatures(flows, windowMs, truth.size ? (f) => truth.get(f) : undefined);
  if (rows.length < 3) throw new InputError(`'${spec.input}' gives ${rows.length} feature rows (per source per window); training needs at least 3`);
  if (rows.length > MAX_TRAINING_ROWS) {
    const step = rows.length / MAX_TRAINING_ROWS;
    rows = Array.from({ length: MAX_TRAINING_ROWS }, (_, i) => rows[Math.floor(i * step)]);
    io.stderr.write(`vigil: sampled ${MAX_TRAINING_ROWS} of the feature rows evenly for training\n`);
  }
  const clusterLabels = spec.labels ? await parseLabels(spec.labels) : undefined;
  const model = trainModel(
    rows.map((r) => r.features),
    { windowMs, clusterLabels, truth: truth.size ? rows.map((r) => (r.labelled ? r.anomalies * 2 > r.labelled : undefined)) : undefined },
  );
  try {
    await writeFile(spec.out, `${JSON.stringify(model)}\n`);
  } catch (error) {
    throw new InputError(`cannot write '${spec.out}': ${(error as Error).message}`);
  }
  const sizes = model.clusterLabels.map((label, c) => `${c}:${label}(${model.pointLabels.filter((_, i) => model.points[i] && nearestIs(model, i, c)).length})`);
  await writeAll(io.stderr, `vigil: ${flows.length} flows, ${rows.length} feature rows, k=${model.k} (silhouette ${model.silhouette.find((s) => s.k === model.k)!.score.toFixed(3)}), clusters ${sizes.join(' ')}\n`);
  return 0;
}

function nearestIs(model: { points: number[][]; centroids: number[][] }, i: number, c: number): boolean {
  const p = model.points[i];
  let best = 0;
  let bestD = Infinity;
  model.centroids.forEach((centroid, j) => {
    const d = centroid.reduce((s, v, k) => s + (v - p[k]) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  });
  return best === c;
}

async function parseLabels(spec: string): Promise<Record<number, string>> {
  const out: Record<number, string> = {};
  if (/^\s*\d+\s*=/.test(spec)) {
    for (const part of spec.split(',')) {
      const m = /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) throw new UsageError(`--labels takes cluster=label pairs (0=normal,1=anomalous), got '${part}'`);
      out[Number(m[1])] = m[2];
    }
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(spec, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read labels '${spec}': ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object') throw new InputError(`labels '${spec}' must be a JSON object {"0": "normal", …}`);
  for (const [k, v] of Object.entries(parsed)) if (/^\d+$/.test(k) && typeof v === 'string') out[Number(k)] = v;
  return out;
}
