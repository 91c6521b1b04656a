/**
 * The flow model's two feature sets.
 *
 * - `raw` (the seed's, kept for scikit-learn parity): sums of bytes, flows and packets, distinct
 *   destinations and ports per source and window, as they are.
 * - `host-baseline` (the default): volume on a log scale and relative to the host's own history, so
 *   a busy server is compared with itself and not with a laptop, plus shape features that separate
 *   scans and brute force from regular use — distinct destinations and ports per flow, the share of
 *   small flows, the share of failed connection attempts (TCP flags), packets per flow, bytes per
 *   packet — and the share of flows the host answers as a server, against its usual share.
 *
 * Both are computed from the counts of `utils.flowFeatures` (src/lang/utils.ts), so a rule
 * scoring a window and training see the same numbers.
 */
import type { FeatureSetName, HostBaseline } from './types.js';

export type { FeatureSetName, HostBaseline } from './types.js';

export const FEATURE_SETS: readonly FeatureSetName[] = ['raw', 'host-baseline'];
export const DEFAULT_FEATURE_SET: FeatureSetName = 'host-baseline';

/** The raw set: the model's input and its features are the same five numbers. */
export const RAW_FEATURES = ['bytes', 'flows', 'packets', 'distinctDestinations', 'distinctDestinationPorts'] as const;

/** What a host-baseline model reads (keys of `utils.flowFeatures`), in the order of an input vector. */
export const HOST_BASELINE_INPUTS = [
  'bytes',
  'flows',
  'packets',
  'distinctDestinations',
  'distinctDestinationPorts',
  'smallFlows',
  'failedConnections',
  'serverFlows',
  'sourceKey',
] as const;

/** The volumes a host's baseline holds: log1p of the first five inputs. */
export const BASELINE_VOLUMES = ['bytes', 'flows', 'packets', 'distinctDestinations', 'distinctDestinationPorts'] as const;
/** A baseline: the usual log1p of each of {@link BASELINE_VOLUMES}, then the usual share of server flows. */
export const BASELINE_LENGTH = BASELINE_VOLUMES.length + 1;

/** The features a host-baseline model clusters and votes on, in order. */
export const HOST_BASELINE_FEATURES = [
  // log1p(volume) − the host's usual log1p(volume)
  'bytesVsHost',
  'flowsVsHost',
  'packetsVsHost',
  'destinationsVsHost',
  'portsVsHost',
  // shape, whatever the host
  'logPacketsPerFlow',
  'logBytesPerPacket',
  'destinationsPerFlow',
  'portsPerFlow',
  'smallFlowShare',
  'failedShare',
  // the share of flows answered as a server, less the host's usual share
  'serverShareVsHost',
] as const;

/** Training windows a host needs for a baseline of its own; fewer, and it is compared with the typical host. */
export const MIN_BASELINE_WINDOWS = 3;
/** Hosts with a baseline of their own kept in a model (those with the most windows). */
export const MAX_BASELINE_HOSTS = 10_000;

/**
 * Per host (by `sourceKey`, as text), the median over its training windows of each of
 * {@link BASELINE_VOLUMES} on a log1p scale and of its share of server flows; `typical`, the median
 * of those medians, stands for hosts the model has not seen (or seen in fewer than `minWindows` windows).
 */

const FLOWS = HOST_BASELINE_INPUTS.indexOf('flows');
const SERVER_FLOWS = HOST_BASELINE_INPUTS.indexOf('serverFlows');
const SOURCE_KEY = HOST_BASELINE_INPUTS.indexOf('sourceKey');

/** What a baseline holds of one input vector (in {@link HOST_BASELINE_INPUTS} order): log1p of the volumes, the server share. */
function usualOf(input: readonly number[]): number[] {
  const flows = input[FLOWS];
  return [...BASELINE_VOLUMES.map((_, j) => Math.log1p(Math.max(0, input[j]))), flows > 0 ? input[SERVER_FLOWS] / flows : 0];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Fits the baselines on training inputs. Windows known to be anomalous (`truth` true) are left out,
 * so an attack in the training data does not become its source's normal; without ground truth
 * every window counts — an attacker active through most of the training becomes its own normal in
 * volume (the shape features still see it).
 */
export function fitBaseline(inputs: readonly (readonly number[])[], truth?: readonly (boolean | undefined)[], minWindows = MIN_BASELINE_WINDOWS): HostBaseline {
  const perHost = new Map<number, number[][]>();
  inputs.forEach((input, i) => {
    if (truth?.[i] === true) return;
    const key = input[SOURCE_KEY];
    if (!key) return;
    let list = perHost.get(key);
    if (!list) perHost.set(key, (list = []));
    list.push(usualOf(input));
  });
  const eligible = [...perHost.entries()].filter(([, windows]) => windows.length >= minWindows);
  eligible.sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
  const hosts: Record<string, number[]> = {};
  const columns = Array.from({ length: BASELINE_LENGTH }, (_, j) => j);
  for (const [key, windows] of eligible.slice(0, MAX_BASELINE_HOSTS)) hosts[String(key)] = columns.map((j) => median(windows.map((w) => w[j])));
  const medians = Object.values(hosts);
  // No host with enough windows: the typical host is the median window.
  const pool = medians.length ? medians : inputs.filter((_, i) => truth?.[i] !== true).map(usualOf);
  const typical = columns.map((j) => (pool.length ? median(pool.map((m) => m[j])) : 0));
  return { hosts, typical, minWindows };
}

/** The host-baseline features of one input vector (in {@link HOST_BASELINE_INPUTS} order). */
export function hostBaselineFeatures(input: readonly number[], baseline: HostBaseline): number[] {
  const [bytes, flows, packets, destinations, ports, small, failed] = input;
  const sourceKey = input[SOURCE_KEY];
  const usual = (sourceKey && baseline.hosts[String(sourceKey)]) || baseline.typical;
  const now = usualOf(input);
  const perFlow = (n: number) => (flows > 0 ? n / flows : 0);
  return [
    ...BASELINE_VOLUMES.map((_, j) => now[j] - usual[j]),
    Math.log1p(perFlow(packets)),
    Math.log1p(packets > 0 ? bytes / packets : 0),
    perFlow(destinations),
    perFlow(ports),
    perFlow(small),
    perFlow(failed),
    now[BASELINE_VOLUMES.length] - usual[BASELINE_VOLUMES.length],
  ];
}
