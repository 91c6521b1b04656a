/** Pure helpers of the Flows view: chart rows from the worker's flow summary, model plot domains. */
import type { FlowCounts, FlowHostProfile, FlowModelPoint, FlowProtocolPoint, FlowTalker } from '../../src/runtime/worker/protocol.js';
import { fmtCount } from './format.js';

export type FlowMetric = keyof FlowCounts;
export const FLOW_METRICS: readonly FlowMetric[] = ['flows', 'packets', 'bytes'];
export const TRANSPORTS = ['tcp', 'udp', 'other'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** Display names of src/ml's FEATURE_NAMES, in their order. */
export const FEATURE_LABELS = ['bytes', 'flows', 'packets', 'destinations', 'dest. ports'] as const;

export interface ProtocolRow {
  time: number;
  tcp: number;
  udp: number;
  other: number;
}

/**
 * Per-second rates of one metric per transport, one row per bucket. The newest bucket is still
 * filling (its rate would dip), so it is left out once there is an older one to show.
 */
export function protocolRows(points: readonly FlowProtocolPoint[], metric: FlowMetric, bucketMs: number): ProtocolRow[] {
  const complete = points.length > 1 ? points.slice(0, -1) : points;
  const seconds = bucketMs / 1000;
  return complete.map((p) => ({ time: p.time, tcp: p.tcp[metric] / seconds, udp: p.udp[metric] / seconds, other: p.other[metric] / seconds }));
}

/** Each transport's share (0–1) of a metric's total; zeros when there is nothing. */
export function transportShares(totals: Record<TransportName, FlowCounts>, metric: FlowMetric): Record<TransportName, number> {
  const sum = TRANSPORTS.reduce((s, t) => s + totals[t][metric], 0);
  return { tcp: sum ? totals.tcp[metric] / sum : 0, udp: sum ? totals.udp[metric] / sum : 0, other: sum ? totals.other[metric] / sum : 0 };
}

/** Bar widths (percent of the largest) of a top-talker list. */
export function talkerBars(talkers: readonly FlowTalker[], key: 'bytes' | 'flows'): number[] {
  const max = Math.max(0, ...talkers.map((t) => t[key]));
  return talkers.map((t) => (max ? (100 * t[key]) / max : 0));
}

/** A domain around the values with 5 % room each side (±1 around a single value). */
export function paddedDomain(values: readonly number[]): [number, number] {
  if (!values.length) return [-1, 1];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max - min < 1e-9) return [min - 1, max + 1];
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

/** The plot's x and y domains over training and scored points (and centroids). */
export function plotDomains(points: readonly Pick<FlowModelPoint, 'x' | 'y'>[]): { x: [number, number]; y: [number, number] } {
  return { x: paddedDomain(points.map((p) => p.x)), y: paddedDomain(points.map((p) => p.y)) };
}

export type ProfileKey = 'flows' | 'bytes' | 'packets' | 'peers' | 'ports';
export const PROFILE_KEYS: readonly ProfileKey[] = ['flows', 'bytes', 'packets', 'peers', 'ports'];

/** One profile metric per window, sent and received. */
export function profileSeries(profile: FlowHostProfile, key: ProfileKey): { windowStart: number; out: number; in: number; open: boolean; anomalous: boolean }[] {
  return profile.windows.map((w) => ({ windowStart: w.windowStart, out: w.out[key], in: w.in[key], open: w.open, anomalous: w.label === 'anomalous' }));
}

/** Bytes in decimal units: 950B, 12.3kB, 4.50MB, 2.10GB. */
export function fmtVolume(bytes: number): string {
  return `${fmtCount(bytes)}B`;
}

/** A feature row as one line: "bytes 1.20kB · flows 3 · …". */
export function describeFeatures(features: readonly number[]): string {
  return FEATURE_LABELS.map((label, i) => `${label} ${i === 0 ? fmtVolume(features[i] ?? 0) : fmtCount(features[i] ?? 0)}`).join(' · ');
}
