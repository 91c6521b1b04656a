/**
 * `vigil train`: a flow anomaly model from flow JSON lines (Vigil's flow events, or goflow2's JSON
 * v1/v2). Features per source per window (host-baseline by default, or the seed's raw ones),
 * standard scaling, K-Means with k by silhouette (2..20), clusters labelled by the ground truth in
 * the lines (`anomaly: true|false` or `label: "normal"|"anomalous"`), by --labels, or else the
 * largest cluster normal; the model (JSON) keeps the training points for the KNN of `classify`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { decodeGoflowLine, looksLikeGoflow } from '../io/from-goflow.js';
import { parseLine } from '../io/from-jsonl.js';
import { FEATURE_SETS, flowFeatures, MAX_TRAINING_ROWS, trainFlowModel, type FeatureSetName, type FlowLike } from '../ml/index.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';

/** How `vigil train` reads its lines: JSON flow events, goflow2 JSON, or whichever the first line is (as `vigil run --format`). */
export type TrainFormat = 'auto' | 'jsonl' | 'goflow2';
const TRAIN_FORMATS: readonly TrainFormat[] = ['auto', 'jsonl', 'goflow2'];

export interface TrainSpec {
  /** Flow JSON lines (FlowEvent objects, e.g. from `vigil simulate flows` or a collector, or goflow2 JSON). */
  input: string;
  /** Where to write the model JSON. */
  out: string;
  /** Feature window in ms (default 60000). */
  window?: number;
  /** Cluster labels: `0=normal,1=anomalous` or a JSON file `{"0": "normal", …}`. */
  labels?: string;
  /** Feature set: `host-baseline` (default) or `raw`. */
  features?: string;
  /** Line format: `auto` (default: by the first line), `jsonl` (flow events) or `goflow2`. */
  format?: string;
}

export const TRAIN_USAGE = `  vigil train <flows.jsonl> --out <model.json> [--window <ms>] [--labels <0=normal,1=anomalous | file.json>]
          [--features host-baseline|raw] [--format auto|jsonl|goflow2]
      Trains the flow anomaly model (K-Means, k by silhouette over 2..20, then a nearest-neighbour
      vote) on flow JSON lines — Vigil flow events or goflow2 JSON (v1 or v2), told apart by the
      first line unless --format says. --features host-baseline (default): volumes on a log scale
      against each host's own history, and shares of small flows and failed connections,
      destinations and ports per flow; raw: the seed's five sums as they are. Lines carrying
      "anomaly" or "label" label the rows (and the clusters by majority).`;

export { MAX_TRAINING_ROWS };

export async function runTrain(spec: TrainSpec, io: CliIO): Promise<number> {
  const windowMs = spec.window ?? 60_000;
  if (!(Number.isInteger(windowMs) && windowMs > 0)) throw new UsageError(`--window takes a positive number of ms, got ${spec.window}`);
  const featureSet = (spec.features ?? 'host-baseline') as FeatureSetName;
  if (!FEATURE_SETS.includes(featureSet)) throw new UsageError(`--features takes ${FEATURE_SETS.join(' or ')}, got '${spec.features}'`);
  const format = (spec.format ?? 'auto') as TrainFormat;
  if (!TRAIN_FORMATS.includes(format)) throw new UsageError(`--format takes ${TRAIN_FORMATS.join(', ')}, got '${spec.format}'`);
  let text: string;
  try {
    text = await readFile(spec.input, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read flows '${spec.input}': ${(error as Error).message}`);
  }
  const flows: FlowLike[] = [];
  const truth = new Map<FlowLike, boolean>();
  let goflow: boolean | undefined = format === 'auto' ? undefined : format === 'goflow2';
  let bad = 0;
  text.split('\n').forEach((line, i) => {
    // The same door as `vigil run`: not JSON, not an object, nested too deep, too long.
    const parsed = parseLine(line);
    if (parsed === undefined) return;
    if ('reason' in parsed) {
      if (bad++ < 10) io.stderr.write(`${spec.input}:${i + 1}: ${parsed.reason}\n`);
      return;
    }
    const record = parsed.event;
    goflow ??= looksLikeGoflow(record);
    let flow = record as FlowLike;
    if (goflow) {
      // decoded from the text, not from the parsed record: the decoder may read exact nanosecond times from it
      const decoded = decodeGoflowLine(line);
      if (!decoded.ok) {
        if (bad++ < 10) io.stderr.write(`${spec.input}:${i + 1}: not a goflow2 flow: ${decoded.error.message}\n`);
        return;
      }
      flow = decoded.flow;
    }
    flows.push(flow);
    if (typeof record.anomaly === 'boolean') truth.set(flow, record.anomaly);
    else if (record.label === 'anomalous' || record.label === 'normal') truth.set(flow, record.label === 'anomalous');
  });
  if (bad > 10) io.stderr.write(`vigil: ${bad} lines skipped in all\n`);
  const rows = flowFeatures(flows, windowMs, truth.size ? (f) => truth.get(f) : undefined);
  if (rows.length < 3) throw new InputError(`'${spec.input}' gives ${rows.length} feature rows (per source per window); training needs at least 3`);
  if (rows.length > MAX_TRAINING_ROWS) io.stderr.write(`vigil: sampled ${MAX_TRAINING_ROWS} of the ${rows.length} feature rows evenly for clustering\n`);
  const clusterLabels = spec.labels ? await parseLabels(spec.labels) : undefined;
  const model = trainFlowModel(rows, {
    featureSet,
    windowMs,
    clusterLabels,
    truth: truth.size ? rows.map((r) => (r.labelled ? r.anomalies * 2 > r.labelled : undefined)) : undefined,
  });
  try {
    await writeFile(spec.out, `${JSON.stringify(model)}\n`);
  } catch (error) {
    throw new InputError(`cannot write '${spec.out}': ${(error as Error).message}`);
  }
  const sizes = model.clusterLabels.map((label, c) => `${c}:${label}(${model.pointLabels.filter((_, i) => model.points[i] && nearestIs(model, i, c)).length})`);
  const hosts = model.baseline ? `, ${Object.keys(model.baseline.hosts).length} host baselines` : '';
  await writeAll(io.stderr, `vigil: ${flows.length} ${goflow ? 'goflow2 ' : ''}flows, ${rows.length} feature rows (${featureSet}${hosts}), k=${model.k} (silhouette ${model.silhouette.find((s) => s.k === model.k)!.score.toFixed(3)}), clusters ${sizes.join(' ')}\n`);
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
