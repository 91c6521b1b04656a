/** Flow features per source address per window, the input of the K-Means / KNN flow model. */
import { createUtils } from '../lang/utils.js';
import { HOST_BASELINE_INPUTS, RAW_FEATURES } from './feature-sets.js';

/**
 * The one implementation of the features is `utils.flowFeatures`, so that a rule scoring a window
 * live (`utils.classify(model, utils.flowFeatures(events))`) sees what training saw.
 */
const FEATURES_OF_FLOWS = createUtils({
  inTable: () => false,
  classify: () => {
    throw new Error('no models here');
  },
});

/** The raw features, in the order of a raw feature vector (a row's `features`). */
export const FEATURE_NAMES = RAW_FEATURES;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The flow fields the features read (a FlowEvent has them). */
export interface FlowLike {
  'source.ip'?: unknown;
  'destination.ip'?: unknown;
  'destination.port'?: unknown;
  'network.bytes'?: unknown;
  'network.packets'?: unknown;
  'event.start'?: unknown;
  timestamp?: unknown;
  [field: string]: unknown;
}

export interface FeatureRow {
  source: string;
  /** Epoch ms, a multiple of the window length. */
  windowStart: number;
  /** The raw features ({@link FEATURE_NAMES}). */
  features: number[];
  /** The counts a host-baseline model reads (HOST_BASELINE_INPUTS of src/ml/feature-sets.ts). */
  inputs: number[];
  /** Flows of the row that are known anomalies (ground truth), when the input says. */
  anomalies: number;
  /** Flows whose ground truth was given. */
  labelled: number;
}

/**
 * Groups flows by (source.ip, tumbling window of `windowMs` by event.start) and computes the raw
 * features — sum of bytes, number of flows, sum of packets, distinct destination IPs, distinct
 * destination ports — and the inputs of the host-baseline set (those plus small flows, failed
 * connections and the source's key).
 * `isAnomaly` (optional) gives each flow's ground truth. Rows come out by window, then source.
 */
export function flowFeatures(flows: Iterable<FlowLike>, windowMs = 60_000, isAnomaly?: (flow: FlowLike) => boolean | undefined): FeatureRow[] {
  const groups = new Map<string, { row: FeatureRow; flows: FlowLike[] }>();
  for (const f of flows) {
    const source = f['source.ip'];
    const time = Number(f['event.start'] ?? f.timestamp);
    if (typeof source !== 'string' || !Number.isFinite(time)) continue;
    const windowStart = Math.floor(time / windowMs) * windowMs;
    const key = `${windowStart}|${source}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { row: { source, windowStart, features: [], inputs: [], anomalies: 0, labelled: 0 }, flows: [] }));
    group.flows.push(f);
    const truth = isAnomaly?.(f);
    if (truth !== undefined) {
      group.row.labelled++;
      if (truth) group.row.anomalies++;
    }
  }
  const rows: FeatureRow[] = [];
  for (const { row, flows: members } of groups.values()) {
    const counts = FEATURES_OF_FLOWS.flowFeatures(members);
    row.features = featureVector(counts);
    row.inputs = featureVector(counts, HOST_BASELINE_INPUTS);
    rows.push(row);
  }
  return rows.sort((a, b) => a.windowStart - b.windowStart || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** A vector from an array (as it is) or an object keyed by `names` (default the raw {@link FEATURE_NAMES}); missing keys are 0. */
export function featureVector(features: readonly number[] | object, names: readonly string[] = FEATURE_NAMES): number[] {
  if (Array.isArray(features)) return features.map(Number);
  const obj = features as Readonly<Record<string, unknown>>;
  return names.map((n) => Number(obj[n] ?? 0));
}
