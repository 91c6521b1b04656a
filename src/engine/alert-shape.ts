/**
 * What rule functions receive and what alerts look like: the complex event a window becomes for
 * SINK (its key fields, count and events, sorted by SORT BY), and the alert made of a SINK result.
 */
import { parseEventTime } from './event-time.js';
import { recordOf, type EventRecord, type FieldReader } from '../lang/fields.js';
import type { AggregationPlan } from './rule-plan.js';
import type { Alert } from './types.js';
import type { FiredWindow } from './window.js';

/**
 * What HAVING receives for a window is its events; what SINK receives when HAVING says `true`
 * (or when there is no HAVING) is this: the key fields, the count and the events.
 */
export function complexEventOf(agg: AggregationPlan, window: FiredWindow<EventRecord>): EventRecord {
  if (agg.sortBy) sortEvents(window.events, agg.sortBy.read, agg.sortBy.descending);
  const out: EventRecord = recordOf(agg.keyFields, window.key);
  out.count = window.events.length;
  out.events = window.events;
  return out;
}

/**
 * The alert for one SINK result: an object gets `rule` (always the producing rule, so a chain of
 * rules cannot be fooled into routing an alert back to itself) and, for aggregation rules, `key`,
 * `windowStart`, `windowEnd` and `update` unless SINK set them; `true` means the input itself;
 * null/undefined/false drop the alert; any other value is wrapped as `{ value }`. The result is a
 * new object: the input (maybe a caller's event) is not changed.
 */
export function toAlert(ruleName: string, result: unknown, input: unknown, window: FiredWindow<EventRecord> | undefined, agg: AggregationPlan | undefined): Alert | undefined {
  if (result === null || result === undefined || result === false) return undefined;
  const body = result === true ? input : result;
  const fields: EventRecord = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as EventRecord) : { value: body };
  let alert: EventRecord;
  if (window && agg) {
    const meta: EventRecord = {};
    meta.key = recordOf(agg.keyFields, window.key);
    meta.windowStart = window.start;
    meta.windowEnd = window.end;
    if (window.update) meta.update = true;
    // `rule` first for people reading the output; assigned again last so SINK cannot change it.
    alert = { rule: ruleName, ...meta, ...fields };
  } else {
    alert = { rule: ruleName, ...fields };
  }
  alert.rule = ruleName;
  return alert as Alert;
}

/** A SORT BY value, with the time it reads as when it is a string (parsed once per event, not per comparison). */
interface SortKey {
  event: EventRecord;
  value: unknown;
  time: number | undefined;
}

function compareKeys(x: SortKey, y: SortKey): number {
  const a = x.value;
  const b = y.value;
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (x.time !== undefined && y.time !== undefined) return x.time - y.time;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Orders a window's events by SORT BY: numbers by value, strings that read as times by time, other
 * strings by code unit, missing values last. Each value is read and parsed once: a window of n events
 * sorts with n time parses, not n log n (Date.parse dominated rules that sort on text keys).
 */
export function sortEvents(events: EventRecord[], read: FieldReader, descending: boolean): void {
  const keys: SortKey[] = events.map((event) => {
    const value = read(event);
    return { event, value, time: typeof value === 'string' ? parseEventTime(value) : undefined };
  });
  keys.sort((x, y) => {
    const c = compareKeys(x, y);
    return descending ? -c : c;
  });
  for (let i = 0; i < keys.length; i++) events[i] = keys[i]!.event;
}
