/**
 * A reference evaluator for correlation rules over a finished list of timestamped rule matches:
 * naive (quadratic), written to be obviously correct, for exactness tests of the streaming engine.
 *
 * Semantics (the specification leaves them open; this is the definition the engine is tested against):
 * - Matches are ordered by time, then by their position in the input (arrival breaks ties).
 * - At every match M of a referenced rule, the window is the matches of the same group (group-by
 *   values, aliases resolved for the match's rule) with time in [M.time − timespan, M.time] and
 *   not after M in that order. The correlation fires at M when its condition holds over that window;
 *   each firing is reported (no suppression: a policy that resets after firing is applied on top).
 * - event_count: the window's size. value_count: distinct values of `field` (absent ones skipped).
 *   value_sum / value_avg: sum / mean of the numeric values of `field` (value_avg does not fire on
 *   a window without any). value_percentile: the share, in percent, of the window's matches whose
 *   `field` equals M's (how rare M's value is: `lte: 1` fires on values seen in at most 1 %).
 *   temporal: the number of distinct referenced rules in the window. temporal_ordered: the length
 *   of the longest prefix of `rules` found in order in the window (greedy, which is exact for a
 *   subsequence); its default condition, gte the number of rules, means "the whole sequence, in order".
 */
import { fieldReader, groupKeyText, scalarText, type EventRecord } from '../lang/fields.js';
import { conditionHolds, type SigmaCorrelation } from './correlation.js';

export interface CorrelationHit {
  time: number;
  /** The referenced rule that matched, as the correlation names it (an entry of `rules`). */
  rule: string;
  event: EventRecord;
}

export interface CorrelationFiring {
  time: number;
  /** Index of the firing match in the input. */
  index: number;
  group: unknown[];
  value: number;
}

export interface ReferenceOptions {
  /**
   * Event path(s) of a Sigma field name in the events of `rule` (a pipeline's mapping, e.g. a rule
   * plan's `fieldPaths`); the first path holding a value is read. Default: the name itself.
   */
  field?: (name: string, rule: string) => string | readonly string[];
}

export function referenceCorrelation(correlation: SigmaCorrelation, hits: readonly CorrelationHit[], options: ReferenceOptions = {}): CorrelationFiring[] {
  const path = options.field ?? ((n: string) => n);
  const read = (hit: CorrelationHit, name: string): unknown => {
    const alias = correlation.aliases[name];
    const fieldName = alias && Object.prototype.hasOwnProperty.call(alias, hit.rule) ? alias[hit.rule] : name;
    const paths = path(fieldName, hit.rule);
    for (const p of typeof paths === 'string' ? [paths] : paths) {
      const v = fieldReader(p)(hit.event);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const order = hits
    .map((h, index) => ({ h, index }))
    .filter(({ h }) => correlation.rules.includes(h.rule))
    .sort((a, b) => a.h.time - b.h.time || a.index - b.index);
  const groupOf = (h: CorrelationHit) => correlation.groupBy.map((g) => read(h, g) ?? null);
  const keys = order.map(({ h }) => groupKeyText(groupOf(h)));
  const out: CorrelationFiring[] = [];
  for (let k = 0; k < order.length; k++) {
    const m = order[k].h;
    const window: CorrelationHit[] = [];
    for (let j = 0; j <= k; j++) {
      const h = order[j].h;
      if (keys[j] === keys[k] && h.time >= m.time - correlation.timespanMs && h.time <= m.time) window.push(h);
    }
    const value = aggregate(correlation, window, m, read);
    if (value !== undefined && conditionHolds(correlation.condition, value)) out.push({ time: m.time, index: order[k].index, group: groupOf(m), value });
  }
  return out;
}

function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return scalarText(v) ?? JSON.stringify(v);
}

function aggregate(c: SigmaCorrelation, window: CorrelationHit[], current: CorrelationHit, read: (h: CorrelationHit, name: string) => unknown): number | undefined {
  switch (c.type) {
    case 'event_count':
      return window.length;
    case 'value_count': {
      const seen = new Set<string>();
      for (const h of window) {
        const t = valueText(read(h, c.field!));
        if (t !== undefined) seen.add(t);
      }
      return seen.size;
    }
    case 'value_sum':
    case 'value_avg': {
      let sum = 0;
      let n = 0;
      for (const h of window) {
        const v = read(h, c.field!);
        const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (Number.isFinite(x)) {
          sum += x;
          n++;
        }
      }
      if (c.type === 'value_sum') return sum;
      return n === 0 ? undefined : sum / n;
    }
    case 'value_percentile': {
      const mine = valueText(read(current, c.field!));
      let same = 0;
      for (const h of window) if (valueText(read(h, c.field!)) === mine) same++;
      return (100 * same) / window.length;
    }
    case 'temporal':
      return new Set(window.map((h) => h.rule)).size;
    case 'temporal_ordered': {
      let next = 0;
      for (const h of window) if (next < c.rules.length && h.rule === c.rules[next]) next++;
      return next;
    }
  }
}
