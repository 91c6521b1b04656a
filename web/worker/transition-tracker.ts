/**
 * Follows the STATE MACHINE rules for the debugger, from what the engine reports: every event a
 * rule's state table stepped (`engine.onTransition`, after FILTER, IOC FILTERS and TIMEOUT), with
 * the key's state before and after it. Nothing is replayed here: the counts are the engine's own.
 *
 * Kept per rule: counts and rates per transition and per invalid (state, event), and the last steps
 * of recently active, alerted and watched keys (TrailBuffer). The rule's definition (what the graph
 * draws) comes from its text (machine-def.ts).
 */
import type { MachineTransition } from '../../src/engine/engine.js';
import { SlidingCounts } from '../../src/engine/rate-meter.js';
import type { MachineSnapshot, MachineTrail, TrailStep } from '../../src/runtime/worker/protocol.js';
import { machineDefinitionOfText, type MachineDefinition } from './machine-def.js';
import { TrailBuffer } from './trail-buffer.js';

export interface TrackerLimits {
  perKey?: number;
  maxKeys?: number;
  maxPinned?: number;
  /** Alerted keys listed for the debugger. */
  maxAlerted?: number;
}

/** Rates per transition are averaged over this many seconds of processing time. */
export const RATE_SECONDS = 10;

/** Identity of a transition (from, event), for counters. */
export function edgeId(from: string, event: string): string {
  return `${from}\u0000${event}`;
}

/** The engine's key text: the value itself for one string field, else a JSON array. */
export function keyText(values: readonly unknown[]): string {
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : JSON.stringify(values);
}

/** One rule's view. */
export class RuleTracker {
  readonly trails: TrailBuffer<TrailStep>;
  readonly rates: SlidingCounts<string>;
  readonly counts = new Map<string, number>();
  readonly invalidCounts = new Map<string, number>();
  alerted: string[] = [];
  watched = new Set<string>();
  steps = 0;
  invalid = 0;
  private seq = 0;

  constructor(
    readonly def: MachineDefinition,
    readonly text: string,
    now: () => number,
    private readonly limits: Required<TrackerLimits>,
  ) {
    this.trails = new TrailBuffer(limits.perKey, limits.maxKeys, limits.maxPinned);
    this.rates = new SlidingCounts(now, RATE_SECONDS);
  }

  /** The key text of a transition's key object (the key fields in the rule's order). */
  keyTextOf(key: Record<string, unknown>): string {
    return keyText(this.def.keyFields.map((f) => key[f] ?? null));
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

  record(t: MachineTransition, at: number): void {
    const text = this.keyTextOf(t.key);
    const step: TrailStep = { seq: ++this.seq, at, time: t.time, from: t.from, to: t.valid ? t.to : null, event: t.eventType, valid: t.valid, data: t.event };
    this.steps++;
    if (t.valid) {
      const id = edgeId(t.from, t.eventType);
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      this.rates.add(id);
    } else {
      this.invalid++;
      const id = `!${edgeId(t.from, t.eventType)}`;
      this.invalidCounts.set(id, (this.invalidCounts.get(id) ?? 0) + 1);
      this.rates.add(id);
      this.alerted = [text, ...this.alerted.filter((k) => k !== text)].slice(0, this.limits.maxAlerted);
      this.trails.pin(text);
    }
    this.trails.add(text, step);
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
  setRules(rules: readonly { name: string; text: string; kind: string }[]): void {
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

  /** The engine's report of one stepped event: pass to `engine.onTransition`. */
  readonly observe = (t: MachineTransition): void => {
    // A rule not (yet) followed: its next setRules starts its counters.
    this.rules.get(t.rule)?.record(t, this.now());
  };

  get ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  rule(name: string): RuleTracker | undefined {
    return this.rules.get(name);
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
