/**
 * Alert triage, pure: an alert's event time, the columns of the table, a time range, grouping by
 * rule, key or any field with counts, sorting by any column, and the current view as JSONL and CSV
 * (d3-dsv). The Alerts view (components/alerts) and the worker's alert store use them.
 */
import { csvFormatRows } from 'd3-dsv';
import { parseEventTime } from '../../src/engine/event-time.js';
import type { AlertStatus, TriageAlert } from '../../src/runtime/worker/protocol.js';

/** Fields of an alert read as its own event time, first found wins (before the window's end). */
const TIME_FIELDS = ['@timestamp', 'timestamp', 'eventTime', 'time', 'event.created'];

/**
 * The event time of an alert: a time field the rule's SINK kept, else the end of the window that
 * fired (aggregation rules: event time when the rule has USING), else undefined.
 */
export function alertEventTime(alert: Record<string, unknown>): number | undefined {
  for (const field of TIME_FIELDS) {
    const t = parseEventTime(alert[field]);
    if (t !== undefined) return t;
  }
  const end = alert.windowEnd;
  return typeof end === 'number' && Number.isFinite(end) ? end : undefined;
}

/** The text of a field for grouping, sorting and CSV: `rule`, `key` (JSON of the key), `status`, or an alert field (dotted paths reach into objects). */
export function fieldText(row: TriageAlert, field: string): string {
  const v = fieldValue(row, field);
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A column's value: the envelope's own columns, else the alert's field. */
export function fieldValue(row: TriageAlert, field: string): unknown {
  switch (field) {
    case 'id':
      return row.id;
    case 'at':
      return row.at;
    case 'eventTime':
      return row.eventTime;
    case 'status':
      return row.status;
    case 'statusBy':
      return row.statusBy;
    case 'statusAt':
      return row.statusAt;
    case 'key':
      return row.alert.key;
    default:
      return readPath(row.alert, field);
  }
}

function readPath(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Alert fields worth offering for grouping and as columns (scalars and `key`), in first-seen order. */
export function alertFields(rows: readonly TriageAlert[], limit = 2000): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < rows.length && i < limit; i++) {
    for (const [k, v] of Object.entries(rows[i]!.alert)) {
      if (k === 'events' || k === 'rule') continue;
      if (v !== null && typeof v === 'object' && k !== 'key') continue;
      seen.add(k);
    }
  }
  return [...seen];
}

/** Rows whose time (event time, else processing time when `by` is 'at') lies in [from, to). */
export function inTimeRange(rows: readonly TriageAlert[], range: { from: number; to: number } | undefined, by: 'eventTime' | 'at'): TriageAlert[] {
  if (!range) return [...rows];
  return rows.filter((r) => {
    const t = timeOf(r, by);
    return t !== undefined && t >= range.from && t < range.to;
  });
}

export function timeOf(row: TriageAlert, by: 'eventTime' | 'at'): number | undefined {
  return by === 'at' ? row.at : row.eventTime;
}

export interface AlertGroup {
  /** The field's text ('' when the alert lacks it). */
  value: string;
  count: number;
  /** Per status. */
  statuses: Record<AlertStatus, number>;
  ids: number[];
  /** The newest processing time in the group. */
  last: number;
}

/** Groups rows by a field, largest group first (ties: by value). */
export function groupAlerts(rows: readonly TriageAlert[], field: string): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const row of rows) {
    const value = fieldText(row, field);
    let g = groups.get(value);
    if (!g) groups.set(value, (g = { value, count: 0, statuses: { new: 0, acknowledged: 0, closed: 0 }, ids: [], last: 0 }));
    g.count++;
    g.statuses[row.status]++;
    g.ids.push(row.id);
    if (row.at > g.last) g.last = row.at;
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

export type SortDirection = 'asc' | 'desc';

/** Numbers compare as numbers, missing values last whatever the direction, the rest as text; stable (then by id). */
export function sortAlerts(rows: readonly TriageAlert[], field: string, direction: SortDirection): TriageAlert[] {
  const sign = direction === 'asc' ? 1 : -1;
  const keyed = rows.map((row) => ({ row, v: fieldValue(row, field) }));
  keyed.sort((x, y) => {
    const a = x.v;
    const b = y.v;
    const aMissing = a === undefined || a === null || a === '';
    const bMissing = b === undefined || b === null || b === '';
    if (aMissing || bMissing) return aMissing && bMissing ? x.row.id - y.row.id : aMissing ? 1 : -1;
    let c: number;
    if (typeof a === 'number' && typeof b === 'number') c = a - b;
    else {
      const sa = typeof a === 'object' ? JSON.stringify(a) : String(a);
      const sb = typeof b === 'object' ? JSON.stringify(b) : String(b);
      c = sa < sb ? -1 : sa > sb ? 1 : 0;
    }
    return c !== 0 ? c * sign : (x.row.id - y.row.id) * sign;
  });
  return keyed.map((k) => k.row);
}

/** The columns of an export: the triage columns, then every alert field of the rows (except `events`). */
export const EXPORT_COLUMNS = ['id', 'at', 'eventTime', 'status', 'statusBy', 'statusAt', 'rule'] as const;

function iso(t: number | undefined): string {
  return t === undefined ? '' : new Date(t).toISOString();
}

/** One JSON object a line: the alert with its triage fields (times as ISO-8601). */
export function toJsonl(rows: readonly TriageAlert[]): string {
  return rows
    .map((r) =>
      JSON.stringify({
        id: r.id,
        at: iso(r.at),
        eventTime: r.eventTime === undefined ? null : iso(r.eventTime),
        status: r.status,
        ...(r.statusBy ? { statusBy: r.statusBy, statusAt: iso(r.statusAt) } : {}),
        alert: r.alert,
        // A page copy whose whole alert the worker no longer keeps: say how many events are missing.
        ...(r.omittedEvents ? { omittedEvents: r.omittedEvents } : {}),
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * CSV (RFC 4180 quoting by d3-dsv): a header, then a row per alert; objects (the key) as JSON,
 * `events` left out (JSONL has them). Cells that a spreadsheet would run as a formula (= + - @)
 * are prefixed with a quote: alert fields come from attackers.
 */
export function toCsv(rows: readonly TriageAlert[]): string {
  const fields = alertFields(rows, rows.length).filter((f) => f !== 'rule');
  const header = [...EXPORT_COLUMNS, ...fields];
  const body = rows.map((r) => [
    String(r.id),
    iso(r.at),
    iso(r.eventTime),
    r.status,
    r.statusBy ?? '',
    iso(r.statusAt),
    r.alert.rule,
    ...fields.map((f) => {
      const v = r.alert[f];
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }),
  ]);
  return `${csvFormatRows([header, ...body].map((row) => row.map(defuseFormula)))}\n`;
}

/** A cell starting like a spreadsheet formula gets a leading apostrophe (OWASP CSV injection advice). */
export function defuseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** Counts of rows per time bucket: what the histogram draws. `step` in ms; buckets cover [from, to). */
export function histogram(rows: readonly TriageAlert[], by: 'eventTime' | 'at', from: number, to: number, step: number): { start: number; count: number }[] {
  const n = Math.max(1, Math.ceil((to - from) / step));
  const counts = new Array<number>(n).fill(0);
  for (const r of rows) {
    const t = timeOf(r, by);
    if (t === undefined || t < from || t >= to) continue;
    counts[Math.min(n - 1, Math.floor((t - from) / step))]!++;
  }
  return counts.map((count, i) => ({ start: from + i * step, count }));
}

/** A bucket size near `span / target` from a ladder of round steps (1 s … 1 day). */
export function niceStep(span: number, target = 60): number {
  const ladder = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];
  const raw = span / target;
  return ladder.find((s) => s >= raw) ?? ladder.at(-1)!;
}
