/**
 * A Sigma correlation rule as an engine rule: an aggregation plan on the engine's own event-time
 * windows (window.ts: panes in WebAssembly, the watermark of time-index.ts, allowed lateness), so
 * a correlation has no time model of its own.
 *
 * Semantics are those of the reference evaluator (src/sigma/correlation-reference.ts): at every
 * match M of a referenced rule, the window is the same group's matches with time in
 * [M.time − timespan, M.time], not after M (time, then arrival). Mapping that onto windows:
 *
 * - FILTER: the event matches one of the referenced rules (their routing, detection and filters);
 *   which ones is remembered per event object for the key and HAVING. The rules of a chain's inner
 *   correlations count too: a chain is one plan (see planFromCorrelation).
 * - Windows of length timespan + S sliding by S, where S = timespan / 10 (`CORRELATION_SLIDES`;
 *   wider when a chain's lookback would otherwise need more than 2,000 panes per window; a chain's
 *   windows also reach back over its inner timespans), keyed by the group-by values (aliases
 *   resolved for the first reference, in the order of `rules`, the event matched). The window
 *   [s, s + timespan + S) holds the whole lookback of every match in its last slide
 *   [s + timespan, s + timespan + S), and every match is in the last slide of exactly one window:
 *   the first of its windows to close. So when a window closes, HAVING evaluates exactly the matches
 *   of its last slide, each over its own lookback, and nothing is evaluated twice.
 * - One alert per group and slide: the first match of the slide (time, then arrival) whose window
 *   satisfies the condition. A window closes when the watermark passes its end, so an alert comes
 *   out at most S (plus the watermark's out-of-order bound) after the match in event time.
 * - A late event within the allowed lateness re-fires the windows that already closed (as VGL
 *   windows do): their last slide is evaluated again with and without it, and a match that fires
 *   only with it raises an alert marked `update`. Alerts are never taken back: with a condition a
 *   late event can make false (lt, lte, eq, neq, value_avg, value_percentile), an alert raised
 *   before it arrived stands. An event later than that is dropped and reported (`vigil.late`).
 */
import { parseEventTime } from './event-time.js';
import { DEFAULT_WINDOW_LIMITS } from '../lang/check.js';
import { fieldReader, groupKeyText, recordOf, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';
import { conditionHolds, type CorrelationType, type SigmaCorrelation, type SigmaRulePlan } from '../sigma/index.js';
import { nativeRunner, type RulePlan, type RuleSource } from './rule-plan.js';
import type { FiredWindow } from './window.js';

/** Slides per timespan: the window slides by timespan / 10, so a window has 11 panes. */
export const CORRELATION_SLIDES = 10;
/** Events of the lookback an alert carries (the most recent ones); `matched` says how many there were. */
export const MAX_ALERT_EVENTS = 100;

export interface CorrelationSettings {
  /** The event field time is read from. */
  timeField: string;
  allowedLatenessMs: number;
}

/** The time field for a pipeline when SigmaOptions.timeField is not given. */
export function defaultTimeField(pipelineName: string | undefined): string {
  if (pipelineName === 'evtx-json') return 'Event.System.TimeCreated.#attributes.SystemTime';
  if (pipelineName === 'ecs') return '@timestamp';
  return 'timestamp';
}

/** One referenced rule's match (or a referenced correlation's firing) in a window, with what HAVING reads of it. */
interface Hit {
  time: number;
  /** Index of the reference in `correlation.rules`. */
  k: number;
  event: EventRecord;
  /** The value of the correlation's `field` (undefined when it has none or the event lacks it). */
  value: unknown;
}

interface Firing {
  hit: Hit;
  value: number;
  /** The lookback: hits[from..to]. */
  from: number;
  to: number;
}

/** A correlation and what each of its references names: a Sigma rule, or a correlation (a chain). */
export interface CorrelationNode {
  correlation: SigmaCorrelation;
  refs: ({ rule: SigmaRulePlan } | { node: CorrelationNode })[];
}

/** How far back a match's evaluation reads: its timespan, plus the longest lookback of a correlation it references. */
function lookbackOf(node: CorrelationNode): number {
  let inner = 0;
  for (const ref of node.refs) if ('node' in ref) inner = Math.max(inner, lookbackOf(ref.node));
  return node.correlation.timespanMs + inner;
}

function leavesOf(node: CorrelationNode, into: SigmaRulePlan[] = []): SigmaRulePlan[] {
  for (const ref of node.refs) {
    if ('rule' in ref) {
      if (!into.includes(ref.rule)) into.push(ref.rule);
    } else leavesOf(ref.node, into);
  }
  return into;
}

/**
 * The plan of a correlation. A correlation that references correlations (a chain) is one plan:
 * its window reaches back over the inner correlations' timespans too, and the inner ones' firings
 * are computed from the same events when the window closes.
 */
export function planFromCorrelation(root: CorrelationNode, name: string, source: RuleSource, settings: CorrelationSettings): RulePlan {
  const c = root.correlation;
  const lookbackMs = lookbackOf(root);
  // A tenth of the timespan; wider for a chain whose lookback would need more panes per window
  // than the engine allows a VGL window (DEFAULT_WINDOW_LIMITS.maxPanesPerWindow).
  const maxPanes = DEFAULT_WINDOW_LIMITS.maxPanesPerWindow;
  const slideMs = Math.max(c.timespanMs / CORRELATION_SLIDES, Math.ceil(lookbackMs / (maxPanes - 1)));
  // The window holds the whole lookback of every match in its last slide.
  const lengthMs = Math.ceil(lookbackMs / slideMs) * slideMs + slideMs;
  const timeReader = fieldReader(settings.timeField);
  const leaves = leavesOf(root);

  // Which rules of the tree an event matched, per event object (set by FILTER; computed again for
  // events a checkpoint restored), and the order events arrived in (for late events).
  const matched = new WeakMap<EventRecord, boolean[]>();
  const arrival = new WeakMap<EventRecord, number>();
  let arrivals = 0;
  const matchesOf = (event: EventRecord): boolean[] => {
    let m = matched.get(event);
    if (!m) matched.set(event, (m = leaves.map((rule) => rule.match(event))));
    return m;
  };
  const ruleMatched = (event: EventRecord, rule: SigmaRulePlan) => matchesOf(event)[leaves.indexOf(rule)]!;

  // The first reference of `node` an event feeds (directly, or through a correlation it references); −1 when none.
  const feeds = (node: CorrelationNode, event: EventRecord): number => {
    for (let k = 0; k < node.refs.length; k++) {
      const ref = node.refs[k]!;
      if ('rule' in ref ? ruleMatched(event, ref.rule) : feeds(ref.node, event) >= 0) return k;
    }
    return -1;
  };

  // A field of an event fed to `node` through reference k: the alias for that reference, then the
  // rule's paths (or, through a correlation, that correlation's way of reading it).
  const readers = new Map<SigmaRulePlan, Map<string, readonly FieldReader[]>>();
  const read = (node: CorrelationNode, event: EventRecord, field: string, k: number): unknown => {
    const alias = node.correlation.aliases[field];
    const refName = node.correlation.rules[k]!;
    const fieldName = alias && Object.prototype.hasOwnProperty.call(alias, refName) ? alias[refName]! : field;
    const ref = node.refs[k]!;
    if ('node' in ref) {
      const inner = feeds(ref.node, event);
      return inner < 0 ? undefined : read(ref.node, event, fieldName, inner);
    }
    let byName = readers.get(ref.rule);
    if (!byName) readers.set(ref.rule, (byName = new Map()));
    let paths = byName.get(fieldName);
    if (!paths) byName.set(fieldName, (paths = ref.rule.fieldPaths(fieldName).map(fieldReader)));
    for (const path of paths) {
      const v = path(event);
      if (v !== undefined) return v;
    }
    return undefined;
  };

  /**
   * The hits of `node` among `events` (time order, then arrival; times parallel): a rule's matches,
   * and for a referenced correlation its firings — each at the match it fired on — computed per
   * group of that correlation over the same events.
   */
  const hitsOf = (node: CorrelationNode, events: readonly EventRecord[], times: readonly number[]): Hit[] => {
    const nc = node.correlation;
    const firedAt: (Map<EventRecord, number> | undefined)[] = node.refs.map((ref) => {
      if ('rule' in ref) return undefined;
      const inner = ref.node;
      const groups = new Map<string, number[]>();
      events.forEach((event, i) => {
        const k = feeds(inner, event);
        if (k < 0) return;
        const key = groupKeyText(inner.correlation.groupBy.map((g) => read(inner, event, g, k) ?? null));
        const list = groups.get(key);
        if (list) list.push(i);
        else groups.set(key, [i]);
      });
      const fired = new Map<EventRecord, number>();
      for (const indices of groups.values()) {
        const hits = hitsOf(inner, indices.map((i) => events[i]!), indices.map((i) => times[i]!));
        for (const f of evaluate(inner.correlation, hits, -Infinity)) fired.set(f.hit.event, (fired.get(f.hit.event) ?? 0) + 1);
      }
      return fired;
    });
    const hits: Hit[] = [];
    events.forEach((event, i) => {
      for (let k = 0; k < node.refs.length; k++) {
        const ref = node.refs[k]!;
        const n = 'rule' in ref ? (ruleMatched(event, ref.rule) ? 1 : 0) : (firedAt[k]!.get(event) ?? 0);
        for (let j = 0; j < n; j++) hits.push({ time: times[i]!, k, event, value: nc.field === undefined ? undefined : read(node, event, nc.field, k) });
      }
    });
    return hits;
  };

  const filter = (event: EventRecord): boolean => {
    const m = leaves.map((rule) => rule.match(event));
    if (!m.includes(true)) return false;
    matched.set(event, m);
    arrival.set(event, arrivals++);
    return true;
  };

  const sigma = { id: c.id, level: c.level, status: c.status, tags: [...c.tags], references: [...c.references], correlation: c.type };
  const having = (window: FiredWindow<EventRecord>): EventRecord | false => {
    const lastSlide = window.end - slideMs;
    // Most windows that close have nothing in their last slide (a key's events sit in up to 11
    // windows, and only one of them evaluates each): nothing to do then.
    const times = window.events.map((event) => parseEventTime(timeReader(event))!);
    let last = -Infinity;
    for (const t of times) if (t > last) last = t;
    if (last < lastSlide) return false;
    // Time order; stable, so events of one time (one pane, one key) stay in arrival order.
    const timed = window.events.map((event, i) => ({ event, time: times[i]! })).sort((x, y) => x.time - y.time);
    const hitsWithout = (late: EventRecord | undefined) => {
      const kept = late === undefined ? timed : timed.filter((x) => x.event !== late);
      return hitsOf(root, kept.map((x) => x.event), kept.map((x) => x.time));
    };
    const hits = hitsWithout(undefined);
    let firing: Firing | undefined;
    if (!window.update) firing = evaluate(c, hits, lastSlide)[0];
    else {
      // Re-fired by a late event (the latest arrival in it): the matches that fire only with it.
      let late: EventRecord | undefined;
      let latest = -1;
      for (const event of window.events) {
        const at = arrival.get(event) ?? -1;
        if (at > latest) [latest, late] = [at, event];
      }
      const position = new Map(timed.map((x, i) => [x.event, i]));
      const key = (f: Firing) => `${position.get(f.hit.event)}:${f.hit.k}`;
      const before = new Set(evaluate(c, hitsWithout(late), lastSlide).map(key));
      firing = evaluate(c, hits, lastSlide).find((f) => !before.has(key(f)));
    }
    if (!firing) return false;
    return alertBody(c, window.key, firing, hits, sigma);
  };

  const keyReaders: FieldReader[] = c.groupBy.map((field) => (event: EventRecord) => {
    const k = feeds(root, event);
    return k < 0 ? undefined : read(root, event, field, k);
  });

  return {
    name,
    source,
    text: source.text,
    sigma: { ...(c.id === undefined ? {} : { id: c.id }), ...(c.level === undefined ? {} : { level: c.level }), ...(c.status === undefined ? {} : { status: c.status }), tags: c.tags, references: c.references },
    selectors: unionOfSelectors(leaves),
    filter: nativeRunner((event) => filter(event as EventRecord), true),
    having: nativeRunner((window) => having(window as FiredWindow<EventRecord>), false),
    sink: nativeRunner((input) => input, false),
    iocTerms: [],
    aggregation: {
      keyFields: [...c.groupBy],
      keyReaders,
      timeField: settings.timeField,
      timeReader,
      window: { lengthMs, slideMs, allowedLatenessMs: settings.allowedLatenessMs },
      havingTakesWindow: true,
    },
    alertFed: false,
  };
}

/**
 * Routing for the correlation: the referenced rules' selectors when they can be ORed exactly
 * (all the same, or each one selector on one same field: the values' union); else none (every
 * event reaches FILTER, which applies each rule's own routing).
 */
function unionOfSelectors(members: readonly SigmaRulePlan[]): { field: string; values: string[] }[] {
  const shape = (m: SigmaRulePlan) => JSON.stringify(m.selectors);
  if (members.every((m) => shape(m) === shape(members[0]!))) return members[0]!.selectors.map((s) => ({ field: s.field, values: [...s.values] }));
  const field = members[0]!.selectors[0]?.field;
  if (field !== undefined && members.every((m) => m.selectors.length === 1 && m.selectors[0]!.field === field)) {
    return [{ field, values: [...new Set(members.flatMap((m) => m.selectors[0]!.values))] }];
  }
  return [];
}

function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return scalarText(v) ?? JSON.stringify(v);
}

function numberOf(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
}

/**
 * The firings among `hits` (sorted by time, then arrival) at or after `from`: one pass, the lookback
 * kept by two pointers and the aggregate updated as hits enter and leave it.
 */
function evaluate(c: SigmaCorrelation, hits: readonly Hit[], from: number): Firing[] {
  const out: Firing[] = [];
  const aggregate = aggregator(c.type, c.rules, hits);
  let lo = 0;
  for (let pos = 0; pos < hits.length; pos++) {
    const m = hits[pos]!;
    aggregate.add(pos);
    while (hits[lo]!.time < m.time - c.timespanMs) aggregate.remove(lo++);
    if (m.time < from) continue;
    const value = aggregate.value(lo, pos);
    if (value !== undefined && conditionHolds(c.condition, value)) out.push({ hit: m, value, from: lo, to: pos });
  }
  return out;
}

interface Aggregator {
  add(i: number): void;
  remove(i: number): void;
  /** The aggregate over hits[lo..pos] at the match hits[pos]; undefined when there is none. */
  value(lo: number, pos: number): number | undefined;
}

function countingMap() {
  const counts = new Map<string | undefined, number>();
  return {
    counts,
    add(key: string | undefined) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    remove(key: string | undefined) {
      const n = counts.get(key)! - 1;
      if (n === 0) counts.delete(key);
      else counts.set(key, n);
    },
  };
}

function aggregator(type: CorrelationType, rules: readonly string[], hits: readonly Hit[]): Aggregator {
  switch (type) {
    case 'event_count':
      return { add() {}, remove() {}, value: (lo, pos) => pos - lo + 1 };
    case 'value_count': {
      const texts = hits.map((h) => valueText(h.value));
      const m = countingMap();
      return {
        add: (i) => texts[i] !== undefined && m.add(texts[i]),
        remove: (i) => texts[i] !== undefined && m.remove(texts[i]),
        value: () => m.counts.size,
      };
    }
    case 'value_sum':
    case 'value_avg': {
      const xs = hits.map((h) => numberOf(h.value));
      let sum = 0;
      let n = 0;
      return {
        add(i) {
          if (Number.isFinite(xs[i])) (sum += xs[i]!), n++;
        },
        remove(i) {
          if (Number.isFinite(xs[i])) (sum -= xs[i]!), n--;
        },
        value: () => (type === 'value_sum' ? sum : n === 0 ? undefined : sum / n),
      };
    }
    case 'value_percentile': {
      const texts = hits.map((h) => valueText(h.value));
      const m = countingMap();
      return {
        add: (i) => m.add(texts[i]),
        remove: (i) => m.remove(texts[i]),
        value: (lo, pos) => (100 * m.counts.get(texts[pos])!) / (pos - lo + 1),
      };
    }
    case 'temporal': {
      // Distinct referenced rules, by the name the correlation gives them.
      const names = hits.map((h) => rules[h.k]!);
      const m = countingMap();
      return { add: (i) => m.add(names[i]), remove: (i) => m.remove(names[i]), value: () => m.counts.size };
    }
    case 'temporal_ordered': {
      // The longest prefix of `rules` found in order in hits[lo..pos], greedily: the first
      // occurrence of rules[0] from lo, then of rules[1] after it, … (exact for a subsequence).
      const positions = new Map<string, number[]>();
      hits.forEach((h, i) => {
        const name = rules[h.k]!;
        const list = positions.get(name);
        if (list) list.push(i);
        else positions.set(name, [i]);
      });
      return {
        add() {},
        remove() {},
        value(lo, pos) {
          let at = lo - 1;
          let next = 0;
          for (; next < rules.length; next++) {
            const q = firstAbove(positions.get(rules[next]!), at);
            if (q === undefined || q > pos) break;
            at = q;
          }
          return next;
        },
      };
    }
  }
}

/** The first element of the ascending `list` above `x`. */
function firstAbove(list: readonly number[] | undefined, x: number): number | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo < list.length ? list[lo] : undefined;
}

/**
 * What the alert holds (toAlert adds `rule`, `key` and `update`): the group-by fields, `sigma`
 * with the correlation type, `count` (event_count, value_count, temporal, temporal_ordered) or
 * `value` (value_sum, value_avg, value_percentile) with `field`, the firing match's `time`, the
 * lookback as `windowStart`/`windowEnd`, the referenced rules seen in it, how many matches it held
 * and the last `MAX_ALERT_EVENTS` of their events.
 */
function alertBody(c: SigmaCorrelation, key: readonly unknown[], firing: Firing, hits: readonly Hit[], sigma: EventRecord): EventRecord {
  const lookback = hits.slice(firing.from, firing.to + 1);
  const events: EventRecord[] = [];
  for (const h of lookback) if (events[events.length - 1] !== h.event) events.push(h.event);
  const body: EventRecord = recordOf(c.groupBy, key);
  body.sigma = sigma;
  if (c.type === 'value_sum' || c.type === 'value_avg' || c.type === 'value_percentile') body.value = firing.value;
  else body.count = firing.value;
  if (c.field !== undefined) body.field = c.field;
  body.time = firing.hit.time;
  body.windowStart = firing.hit.time - c.timespanMs;
  body.windowEnd = firing.hit.time;
  body.rules = [...new Set(lookback.map((h) => c.rules[h.k]!))];
  body.matched = lookback.length;
  body.events = events.slice(-MAX_ALERT_EVENTS);
  return body;
}
