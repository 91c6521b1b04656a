/**
 * Why the flow model flagged a row, in words: the features furthest from normal (in σ of the
 * training rows, from the nearest normal centroid) and, for volumes, what the host sent against
 * what it usually sends (web/worker/flow-model.ts's FlowExplanation).
 */
import { fmtCount } from '../../lib/format.js';
import { fmtVolume } from '../../lib/flows.js';
import type { FlowExplanation, FlowReason } from '../../worker/flow-model.js';

/** What the model's features mean, for people. */
const FEATURE_WORDS: Record<string, string> = {
  bytesVsHost: 'bytes',
  flowsVsHost: 'flows',
  packetsVsHost: 'packets',
  destinationsVsHost: 'destinations',
  portsVsHost: 'ports',
  logPacketsPerFlow: 'packets per flow',
  logBytesPerPacket: 'bytes per packet',
  destinationsPerFlow: 'destinations per flow',
  portsPerFlow: 'ports per flow',
  smallFlowShare: 'share of small flows',
  failedShare: 'share of failed connections',
  serverShareVsHost: 'share answered as a server, vs usual',
  bytes: 'bytes',
  flows: 'flows',
  packets: 'packets',
  distinctDestinations: 'destinations',
  distinctDestinationPorts: 'ports',
};

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}σ`;

function shape(r: FlowReason): string {
  // log features are shown as the quantity itself
  if (r.feature.startsWith('log')) return Math.expm1(r.value).toFixed(1);
  if (r.feature.endsWith('Share') || r.feature.endsWith('ShareVsHost')) return `${Math.round(r.value * 100)} %`;
  return r.value.toFixed(2);
}

export function describeReason(r: FlowReason): string {
  const name = FEATURE_WORDS[r.feature] ?? r.feature;
  if (r.now !== undefined && r.usual !== undefined) {
    const fmt = r.feature === 'bytesVsHost' ? fmtVolume : (n: number) => fmtCount(Math.round(n));
    const ratio = r.usual > 0 ? ` (×${(r.now / r.usual).toFixed(r.now / r.usual >= 10 ? 0 : 1)})` : '';
    return `${name} ${fmt(r.now)} vs usual ${fmt(r.usual)}${ratio}, ${signed(r.sigma)}`;
  }
  return `${name} ${shape(r)}, ${signed(r.sigma)}`;
}

/** One line: the reasons, then the distance from normal. */
export function describeWhy(why: FlowExplanation | undefined): string {
  if (!why) return '';
  const reasons = why.reasons.map(describeReason).join(' · ');
  const from = why.nearestNormal === undefined ? 'the mean' : `normal cluster ${why.nearestNormal}`;
  const baseline = why.ownBaseline ? "the host's own baseline" : 'the typical host (no baseline of its own)';
  return `${reasons || 'no single feature ≥ 1σ'} — ${why.distance.toFixed(1)}σ from ${from}; volumes vs ${baseline}`;
}
