/** Shared helpers of the simulator tests. */
import type { SimulatedEvent } from '../../src/simulate/index.js';

export const time = (s: SimulatedEvent) => s.event.timestamp as number;

/**
 * The anomalies grouped by incident, in order of first appearance. With `complete`, incidents that
 * start in the stream's last minute are left out: their tail may lie beyond the events taken.
 */
export function incidents(stream: readonly SimulatedEvent[], complete = false): Map<number, SimulatedEvent[]> {
  const out = new Map<number, SimulatedEvent[]>();
  const cutoff = stream.length ? time(stream[stream.length - 1]) - 60_000 : 0;
  for (const s of stream) {
    if (!s.anomaly) continue;
    if (complete && !out.has(s.incident!) && time(s) >= cutoff) continue;
    const list = out.get(s.incident!) ?? [];
    list.push(s);
    out.set(s.incident!, list);
  }
  return out;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Most items whose times lie within any span of `span` ms (times sorted ascending). */
export function maxInSpan(times: readonly number[], span: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= span) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
