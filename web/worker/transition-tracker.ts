/**
 * Follows the STATE MACHINE rules from the outside, for the debugger: before a batch goes into the
 * engine, each routed event's (from → to) is worked out by replaying it through the rule's
 * definition, starting from the state the engine holds for its key (`stateOf`); after the batch,
 * the replayed end states are checked against the engine's (a difference — a FILTER that dropped
 * an event, a timeout the tracker could not see — counts as a resync, and the engine is right).
 *
 * Kept per rule: counts and rates per transition and per invalid (state, event), and the last steps
 * of recently active, alerted and watched keys (TrailBuffer). No engine hook is needed.
 */
import type { EventRecord } from '../../src/engine/fields.js';
import { fieldReader, scalarText } from '../../src/engine/fields.js';
import { parseEventTime } from '../../src/engine/event-time.js';
import { edgeId, INITIAL, machineDefinitionOfText, TERM, transitionTable, type MachineDefinition } from './machine-def.js';
import type { MachineSnapshot, MachineTrail, TrailStep } from '../../src/runtime/worker/protocol.js';
import { RateWindow } from './rate-window.js';
import { TrailBuffer } from './trail-buffer.js';

/** How the tracker reads the engine. */
export interface MachineProbe {
  stateOf(rule: string, key: Record<string, unknown>): string;
}

export interface TrackerLimits {
  perKey?: number;
  maxKeys?: number;
  maxPinned?: number;
  /** Alerted keys listed for the debugger. */
  maxAlerted?: number;
}

const MAX_LAST_SEEN = 20_000;

/** One rule's view. */
export class RuleTracker {
  readonly next: (from: string, event: string) => string | undefined;
  readonly trails: TrailBuffer<TrailStep>;
  readonly rates: RateWindow;
  readonly counts = new Map<string, number>();
  readonly invalidCounts = new Map<string, number>();
  /** Last event time per key (bounded), to apply TIMEOUT as the engine does. */
  private readonly lastSeen = new Map<string, number>();
  private readonly readers: ((e: EventRecord) => unknown)[];
  private readonly readOn: (e: EventRecord) => unknown;
  private readonly readTime: ((e: EventRecord) => unknown) | undefined;
  private readonly sourceReaders: { read: (e: EventRecord) => unknown; values: Set<string> }[];
  alerted: string[] = [];
  watched = new Set<string>();
  steps = 0;
  invalid = 0;
  resyncs = 0;
  private seq = 0;

  constructor(
    readonly def: MachineDefinition,
    readonly text: string,
    now: () => number,
    private readonly limits: Required<TrackerLimits>,
  ) {
    this.next = transitionTable(def);
    this.trails = new TrailBuffer(limits.perKey, limits.maxKeys, limits.maxPinned);
    this.rates = new RateWindow(now);
    this.readers = def.keyFields.map(fieldReader);
    this.readOn = fieldReader(def.on);
    this.readTime = def.timeField ? fieldReader(def.timeField) : undefined;
    this.sourceReaders = def.sources.map((s) => ({ read: fieldReader(s.field), values: new Set(s.values) }));
  }

  routes(event: EventRecord): boolean {
    for (const s of this.sourceReaders) {
      const v = scalarText(s.read(event));
      if (v === undefined || !s.values.has(v)) return false;
    }
    return true;
  }

  keyOf(event: EventRecord): { text: string; key: Record<string, unknown> } {
    const values = this.readers.map((read) => read(event) ?? null);
    const key: Record<string, unknown> = {};
    this.def.keyFields.forEach((f, i) => (key[f] = values[i]));
    return { text: keyText(values), key };
  }

  /** The key object of a key as typed (the value, or a JSON array for several key fields). */
  keyOfText(text: string): Record<string, unknown> {
    const fields = this.def.keyFields;
    if (fields.length === 1) return { [fields[0]!]: text };
    let values: unknown[] = [];
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) values = parsed;
    } catch {
      values = text.split(',').map((s) => s.trim());
    }
    const key: Record<string, unknown> = {};
    fields.forEach((f, i) => (key[f] = values[i] ?? null));
    return key;
  }

  /** Steps the routed events of a batch; returns the replayed end state per key. */
  observe(events: readonly EventRecord[], probe: MachineProbe, now: number): Map<string, { key: Record<string, unknown>; state: string }> {
    const current = new Map<string, { key: Record<string, unknown>; state: string }>();
    for (const event of events) {
      if (!this.routes(event)) continue;
      const type = scalarText(this.readOn(event));
      if (type === undefined) continue;
      const { text, key } = this.keyOf(event);
      const time = this.readTime ? parseEventTime(this.readTime(event)) : now;
      if (time === undefined) continue;
      let entry = current.get(text);
      if (!entry) {
        entry = { key, state: probe.stateOf(this.def.rule, key) };
        current.set(text, entry);
      }
      let from = entry.state;
      const last = this.lastSeen.get(text);
      if (this.def.timeoutMs !== undefined && last !== undefined && time - last > this.def.timeoutMs) from = INITIAL;
      this.touch(text, time);
      const to = this.next(from, type);
      const valid = to !== undefined;
      const step: TrailStep = { seq: ++this.seq, at: now, time, from, to: to ?? null, event: type, valid, data: event };
      this.steps++;
      if (valid) {
        const id = edgeId(from, type);
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
        this.rates.add(id);
        entry.state = to === TERM ? INITIAL : to;
      } else {
        this.invalid++;
        const id = `!${edgeId(from, type)}`;
        this.invalidCounts.set(id, (this.invalidCounts.get(id) ?? 0) + 1);
        this.rates.add(id);
        if (this.def.resetOnAlert) entry.state = INITIAL;
        this.alerted = [text, ...this.alerted.filter((k) => k !== text)].slice(0, this.limits.maxAlerted);
        this.trails.pin(text);
      }
      this.trails.add(text, step);
      if (to === TERM) this.lastSeen.delete(text);
    }
    return current;
  }

  /** Compares replayed end states with the engine's. */
  verify(ends: Map<string, { key: Record<string, unknown>; state: string }>, probe: MachineProbe): void {
    for (const { key, state } of ends.values()) {
      if (probe.stateOf(this.def.rule, key) !== state) this.resyncs++;
    }
  }

  watch(text: string, on: boolean): void {
    if (on) {
      this.watched.add(text);
      this.trails.pin(text);
    } else {
      this.watched.delete(text);
      if (!this.alerted.includes(text)) this.trails.unpin(text);
    }
  }

  private touch(text: string, time: number): void {
    this.lastSeen.delete(text);
    this.lastSeen.set(text, time);
    if (this.lastSeen.size > MAX_LAST_SEEN) this.lastSeen.delete(this.lastSeen.keys().next().value as string);
  }
}

/** The engine's key text: the value itself for one string field, else a JSON array. */
export function keyText(values: readonly unknown[]): string {
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : JSON.stringify(values);
}

export class TransitionTracker {
  private readonly rules = new Map<string, RuleTracker>();
  private readonly limits: Required<TrackerLimits>;

  constructor(
    private readonly now: () => number,
    limits: TrackerLimits = {},
  ) {
    this.limits = { perKey: 32, maxKeys: 1500, maxPinned: 256, maxAlerted: 50, ...limits };
  }

  /** Follows the state-machine rules among `rules`; a rule whose text did not change keeps its counters. */
  setRules(rules: readonly { name: string; text: string; kind: string; state?: string }[]): void {
    const seen = new Set<string>();
    for (const r of rules) {
      if (r.kind !== 'state-machine') continue;
      seen.add(r.name);
      const existing = this.rules.get(r.name);
      if (existing && existing.text === r.text) continue;
      const def = machineDefinitionOfText(r.text, r.name);
      if (!def) continue;
      const tracker = new RuleTracker(def, r.text, this.now, this.limits);
      if (existing) for (const k of existing.watched) tracker.watch(k, true);
      this.rules.set(r.name, tracker);
    }
    for (const name of [...this.rules.keys()]) if (!seen.has(name)) this.rules.delete(name);
  }

  get ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  rule(name: string): RuleTracker | undefined {
    return this.rules.get(name);
  }

  /**
   * Observes a batch around `push`: states are read before (so a step's `from` is what the engine
   * held) and checked after. Returns what `push` returns.
   */
  around<R>(events: readonly unknown[], probe: MachineProbe, push: () => R): R {
    if (!this.rules.size) return push();
    const records = events.filter((e): e is EventRecord => typeof e === 'object' && e !== null && !Array.isArray(e));
    const now = this.now();
    const ends: [RuleTracker, Map<string, { key: Record<string, unknown>; state: string }>][] = [];
    for (const tracker of this.rules.values()) {
      try {
        ends.push([tracker, tracker.observe(records, probe, now)]);
      } catch {
        // A rule removed under us: nothing to follow.
      }
    }
    const result = push();
    for (const [tracker, end] of ends) {
      try {
        tracker.verify(end, probe);
      } catch {
        // idem
      }
    }
    return result;
  }

  snapshot(name: string, engineStats: { liveKeys: number; byteSize: number; states: Record<string, number> }): MachineSnapshot {
    const t = this.require(name);
    const def = t.def;
    return {
      rule: name,
      definition: def,
      liveKeys: engineStats.liveKeys,
      byteSize: engineStats.byteSize,
      states: engineStats.states,
      edges: def.edges.map((e) => {
        const id = edgeId(e.from, e.event);
        return { ...e, count: t.counts.get(id) ?? 0, perSecond: t.rates.perSecond(id) };
      }),
      invalid: [...t.invalidCounts].map(([id, count]) => {
        const [from, event] = id.slice(1).split('\u0000') as [string, string];
        return { from, event, count, perSecond: t.rates.perSecond(id) };
      }),
      steps: t.steps,
      invalidSteps: t.invalid,
      resyncs: t.resyncs,
      approximate: def.filtered,
      alertedKeys: [...t.alerted],
      watchedKeys: [...t.watched],
      recentKeys: t.trails.keys().slice(0, 30),
    };
  }

  trail(name: string, key: string, state: string): MachineTrail {
    const t = this.require(name);
    return { rule: name, key, state, steps: [...t.trails.get(key)], watched: t.watched.has(key) };
  }

  private require(name: string): RuleTracker {
    const t = this.rules.get(name);
    if (!t) throw new Error(`rule "${name}" is not a STATE MACHINE rule`);
    return t;
  }
}
