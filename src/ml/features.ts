/** Flow features per source address per window, the input of the K-Means / KNN flow model. */
import { createUtils } from '../sandbox/utils.js';

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

/** The features, in the order of every feature vector. */
export const FEATURE_NAMES = ['bytes', 'flows', 'packets', 'distinctDestinations', 'distinctDestinationPorts'] as const;
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
  features: number[];
  /** Flows of the row that are known anomalies (ground truth), when the input says. */
  anomalies: number;
  /** Flows whose ground truth was given. */
  labelled: number;
}

/**
 * Groups flows by (source.ip, tumbling window of `windowMs` by event.start) and computes: sum of
 * bytes, number of flows, sum of packets, distinct destination IPs, distinct destination ports.
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
    if (!group) groups.set(key, (group = { row: { source, windowStart, features: [], anomalies: 0, labelled: 0 }, flows: [] }));
    group.flows.push(f);
    const truth = isAnomaly?.(f);
    if (truth !== undefined) {
      group.row.labelled++;
      if (truth) group.row.anomalies++;
    }
  }
  const rows: FeatureRow[] = [];
  for (const { row, flows: members } of groups.values()) {
    row.features = featureVector(FEATURES_OF_FLOWS.flowFeatures(members));
    rows.push(row);
  }
  return rows.sort((a, b) => a.windowStart - b.windowStart || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** A feature vector from an array or an object keyed by {@link FEATURE_NAMES}. */
export function featureVector(features: readonly number[] | Partial<Record<FeatureName, number>>): number[] {
  if (Array.isArray(features)) return features.map(Number);
  const obj = features as Partial<Record<FeatureName, number>>;
  return FEATURE_NAMES.map((n) => Number(obj[n] ?? 0));
}
