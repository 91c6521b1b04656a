/**
 * The engine's state as a checkpoint document, with a version of its own (`schema`) inside the
 * binary container of checkpoint.ts. Every version this engine ever wrote is read: an older one
 * is migrated to the current shape first, so a checkpoint written before an upgrade restores
 * after it (test/engine/engine-state.test.ts restores one written by the engine before the plan
 * and state were split). A newer one is refused with a clear error.
 *
 * Version 1 (no `schema` field): rule states in separate maps by rule name (windows, machines,
 * suppressions), later versions of v1 adding optional fields (models, eventClocks, suppressions).
 * Version 2: each rule carries its own state; every field present.
 * Version 3: version 2 with the events every window holds written once, in `events`, and the windows
 * naming them by index. Rules over the same events (several windows on one source, alert-fed rules
 * over the same alerts) hold the same objects; written per window they were written once per rule
 * and restored as one copy per rule. Now an object several windows hold is written once and
 * restored as one object that all of them hold, as before the checkpoint. Decoding gives every
 * version as version 2's shape (windows holding their events), so nothing past this file changes.
 */
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import type { EventRecord } from '../lang/fields.js';
import type { RuleStats, RuleStatus } from './rule-state.js';
import type { SuppressionEntry } from './suppression.js';
import type { RuleVersion } from './types.js';
import type { EventClockSnapshot } from './watermark.js';
import type { WindowSnapshot } from './window.js';

export const ENGINE_STATE_SCHEMA = 3;

export interface EngineCounters {
  eventsIn: number;
  alertsOut: number;
  lateEvents: number;
  deactivations: number;
  reentries: number;
  quarantined: number;
}

export interface SavedRule {
  name: string;
  text: string;
  file: string;
  /** Absent: VGL. */
  language?: 'sigma';
  order: number;
  status: RuleStatus;
  deactivation?: { kind: string; reason: string; at: number };
  stats: RuleStats;
  windows?: WindowSnapshot<EventRecord>;
  /** The blob holding its machine's state table. */
  machineBlob?: number;
  suppression?: { entries: [string, SuppressionEntry][] };
}

/** What a checkpoint holds (IOC filters and state tables are blobs beside it), as decoded. */
export interface EngineStateV2 {
  schema: 2 | 3;
  position: number;
  nextOrder: number;
  counters: EngineCounters;
  rules: SavedRule[];
  history: [string, RuleVersion[]][];
  iocs: { name: string; blob: number }[];
  tables: { name: string; entries: string[] }[];
  models: [string, unknown][];
  watermarks: [string, number | null][];
  eventClocks: [string, EventClockSnapshot][];
  /** The caller's own data, returned by restore (e.g. input offsets). */
  extra?: unknown;
}

/** Version 3 as written: windows name their events in `events` by index. */
interface EngineStateV3 extends Omit<EngineStateV2, 'schema' | 'rules'> {
  schema: 3;
  events: unknown[];
  rules: (Omit<SavedRule, 'windows'> & { windows?: WindowSnapshot<number> })[];
}

/** Version 1, as the engine wrote it until the plan/state split. */
interface EngineStateV1 {
  position: number;
  nextOrder: number;
  counters: Partial<EngineCounters>;
  rules: { name: string; text: string; file: string; order: number; state: RuleStatus; deactivation?: SavedRule['deactivation']; stats: Partial<RuleStats> }[];
  history: [string, RuleVersion[]][];
  iocs: { name: string; blob: number }[];
  tables: { name: string; entries: string[] }[];
  models?: [string, unknown][];
  watermarks: [string, number | null][];
  eventClocks?: [string, EventClockSnapshot][];
  windows: [string, WindowSnapshot<EventRecord>][];
  machines: [string, number][];
  suppressions?: [string, { entries: [string, SuppressionEntry][] }][];
  extra?: unknown;
}

export function encodeEngineState(state: Omit<EngineStateV2, 'schema'>, blobs: Uint8Array[]): Uint8Array {
  const events: unknown[] = [];
  const indexOf = new Map<unknown, number>();
  const ref = (event: unknown): number => {
    let index = indexOf.get(event);
    if (index === undefined) {
      index = events.push(event) - 1;
      indexOf.set(event, index);
    }
    return index;
  };
  const rules = state.rules.map(({ windows, ...rule }) =>
    windows ? { ...rule, windows: { watermark: windows.watermark, panes: windows.panes.map(([start, keys]) => [start, keys.map(([text, key, held]) => [text, key, held.map(ref)])]) } } : rule,
  ) as EngineStateV3['rules'];
  const document: EngineStateV3 = { schema: 3, ...state, rules, events };
  return encodeCheckpoint({ document, blobs });
}

/** Reads a checkpoint of any version this engine knows, as the current version. */
export function decodeEngineState(bytes: Uint8Array): { state: EngineStateV2; blobs: Uint8Array[] } {
  const { document, blobs } = decodeCheckpoint<{ schema?: unknown }>(bytes);
  if (document === null || typeof document !== 'object') throw new CheckpointError('checkpoint document is not an object');
  const schema = document.schema ?? 1;
  if (schema === 1) return { state: fromV1(document as unknown as EngineStateV1), blobs };
  if (schema === 2) return { state: document as unknown as EngineStateV2, blobs };
  if (schema === 3) return { state: fromV3(document as unknown as EngineStateV3), blobs };
  throw new CheckpointError(`checkpoint engine state version ${String(schema)} is newer than this Vigil reads (${ENGINE_STATE_SCHEMA})`);
}

/** Windows get their events back from the table: one object for every window that names it. */
function fromV3(v3: EngineStateV3): EngineStateV2 {
  const { events, rules, ...rest } = v3;
  if (!Array.isArray(events)) throw new CheckpointError('checkpoint engine state version 3 has no events table');
  const eventAt = (index: number, rule: string): EventRecord => {
    if (!Number.isInteger(index) || index < 0 || index >= events.length) throw new CheckpointError(`checkpoint rule "${rule}": window event ${String(index)} is not in the events table (${events.length} events)`);
    return events[index] as EventRecord;
  };
  return {
    ...rest,
    rules: rules.map(({ windows, ...rule }) =>
      windows ? { ...rule, windows: { watermark: windows.watermark, panes: windows.panes.map(([start, keys]) => [start, keys.map(([text, key, held]) => [text, key, held.map((i) => eventAt(i, rule.name))])]) } } : rule,
    ) as SavedRule[],
  };
}

function fromV1(v1: EngineStateV1): EngineStateV2 {
  const windows = new Map(v1.windows);
  const machines = new Map(v1.machines);
  const suppressions = new Map(v1.suppressions ?? []);
  return {
    schema: 2,
    position: v1.position,
    nextOrder: v1.nextOrder,
    counters: { eventsIn: 0, alertsOut: 0, lateEvents: 0, deactivations: 0, reentries: 0, quarantined: 0, ...v1.counters },
    rules: v1.rules.map((r) => ({
      name: r.name,
      text: r.text,
      file: r.file,
      order: r.order,
      status: r.state,
      deactivation: r.deactivation,
      stats: { routed: 0, matched: 0, alerts: 0, late: 0, errors: 0, suppressed: 0, shed: 0, ...r.stats },
      windows: windows.get(r.name),
      machineBlob: machines.get(r.name),
      suppression: suppressions.get(r.name),
    })),
    history: v1.history,
    iocs: v1.iocs,
    tables: v1.tables,
    models: v1.models ?? [],
    watermarks: v1.watermarks,
    eventClocks: v1.eventClocks ?? [],
    extra: v1.extra,
  };
}
