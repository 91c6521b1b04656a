/**
 * Event time for the engine: one clock per USING field (per source inside, see watermark.ts),
 * which rules each clock drives, the rules on processing time, and the alert-fed rules whose
 * windows advance only after the alerts of an input have re-entered. Events hand it their times
 * (quarantining forged ones); it tells which windows close.
 */
import { parseEventTime } from './event-time.js';
import { fieldReader, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';
import type { ResolvedOptions } from './options.js';
import type { LiveRule } from './registry.js';
import type { RuntimeDiagnostic } from './types.js';
import { EventClock, type EventClockSnapshot, type Quarantine } from './watermark.js';
import type { FiredWindow } from './window.js';

/** The source of events pushed without one. */
export const DEFAULT_SOURCE = 'default';
/** Quarantined events reported one by one per source before they are only counted. */
const MAX_QUARANTINE_REPORTS = 100;

export type Fired = (rule: LiveRule, window: FiredWindow<EventRecord>) => void;

/** An event whose time waited for its source's jump to be confirmed, with the rules it passed. */
export interface ReleasedEvent {
  item: EventRecord;
  /** The rules it passed (one, several, or none). */
  context: unknown;
}

interface FieldClock {
  field: string;
  read: FieldReader;
  clock: EventClock<EventRecord>;
  rules: LiveRule[];
  /** Within the current batch: the watermark after each event that moved it (event index, value). */
  moves: { index: number; value: number }[];
}

export interface TimeIndexContext {
  options: ResolvedOptions;
  clock(): number;
  report(diagnostic: RuntimeDiagnostic): void;
  /** Counts quarantined events (negative when a jump is confirmed and they are accepted). */
  quarantined(delta: number): void;
}

export class TimeIndex {
  private readonly clocks = new Map<string, FieldClock>();
  private timeRules: LiveRule[] = [];
  private alertFedRules: LiveRule[] = [];
  /**
   * The rules to index again before the next use, after the set of rules changed. Loading a
   * corpus rule by rule (3,752 Sigma files) would otherwise walk every rule once per file.
   */
  private pendingRules?: () => readonly LiveRule[];
  /** The source of the batch being pushed, and its out-of-order bound when the caller gave one. */
  batchSource = DEFAULT_SOURCE;
  batchBound: number | undefined;
  private readonly sourceReader?: FieldReader;
  /** Quarantined events reported per source; past the first few, only counted. */
  private readonly quarantineReports = new Map<string, number>();

  constructor(
    private readonly ctx: TimeIndexContext,
    watermarkBy: string | undefined,
  ) {
    if (watermarkBy !== undefined) this.sourceReader = fieldReader(watermarkBy);
  }

  /** Event time per USING field (per source inside), shared by the rules that use it. */
  get fields(): ReadonlyMap<string, FieldClock> {
    this.catchUp();
    return this.clocks;
  }

  /** Aggregation rules on processing time (no USING). */
  get processingTimeRules(): readonly LiveRule[] {
    this.catchUp();
    return this.timeRules;
  }

  /**
   * Aggregation rules fed by alerts (SOURCES rule = …). Alerts re-enter after the batch that caused
   * them, when the watermark has already moved past them; these rules' windows therefore advance
   * only once the batch's alerts have re-entered (as Flink forwards a watermark after the
   * elements before it), never in the middle of the input pass.
   */
  get derivedRules(): readonly LiveRule[] {
    this.catchUp();
    return this.alertFedRules;
  }

  private catchUp(): void {
    if (this.pendingRules) this.rebuild(this.pendingRules());
  }

  /** The set of rules changed: index `rules()` again when time is next used. */
  rulesChanged(rules: () => readonly LiveRule[]): void {
    this.pendingRules = rules;
  }

  /** Which rules each clock drives, after the set of rules changed (clocks of fields still used are kept). */
  rebuild(rules: readonly LiveRule[]): void {
    this.pendingRules = undefined;
    const previous = new Map([...this.clocks].map(([field, wm]) => [field, wm.clock]));
    this.clocks.clear();
    this.timeRules = [];
    this.alertFedRules = [];
    const clockOf = (field: string) => {
      let wm = this.clocks.get(field);
      if (!wm) {
        wm = { field, read: fieldReader(field), clock: previous.get(field) ?? new EventClock(this.ctx.options), rules: [], moves: [] };
        this.clocks.set(field, wm);
      }
      return wm;
    };
    for (const rule of rules) {
      // State machines' times are checked too: a forged time would expire every key's state.
      if (rule.plan.stateMachine?.timeField) clockOf(rule.plan.stateMachine.timeField);
      const agg = rule.plan.aggregation;
      if (!agg) continue;
      if (rule.plan.alertFed) this.alertFedRules.push(rule);
      if (!agg.timeField) {
        if (!rule.plan.alertFed) this.timeRules.push(rule);
        continue;
      }
      const wm = clockOf(agg.timeField);
      if (!rule.plan.alertFed) wm.rules.push(rule);
    }
  }

  /** A new batch of input (not of re-entered alerts): idle sources stop holding time back, and the record of watermark moves restarts. */
  startInput(now: number): void {
    for (const wm of this.fields.values()) {
      wm.moves.length = 0;
      wm.clock.expireIdle(now);
    }
  }

  /**
   * Hands the event's time in each USING field to that field's clock, under the event's source.
   * Returns the fields whose time was quarantined (too far ahead), after reporting them.
   */
  observe(
    event: EventRecord,
    passedRules: unknown,
    now: number,
    trusted: boolean,
    released: (field: string, items: ReleasedEvent[]) => void,
  ): Set<string> | undefined {
    let quarantined: Set<string> | undefined;
    for (const wm of this.fields.values()) {
      const time = parseEventTime(wm.read(event));
      if (time === undefined) continue;
      const source = (this.sourceReader && scalarText(this.sourceReader(event))) ?? this.batchSource;
      const reason = wm.clock.observe(time, source, now, this.batchBound, trusted, event, passedRules);
      const started = wm.clock.takeStart();
      if (started?.outliers.length) {
        const outliers = started.outliers.reduce((n, o) => n + o.events, 0);
        // Counted as quarantined: their times moved no event time (they did enter their windows).
        this.ctx.quarantined(outliers);
        this.ctx.report({
          code: 'vigil.future',
          message: `event time in '${wm.field}' started at ${started.time}, where ${this.ctx.options.jumpConfirmations} events agreed; ${outliers} earlier event${outliers === 1 ? '' : 's'} at other times (${started.outliers
            .slice(0, 3)
            .map((o) => o.time)
            .join(', ')}${started.outliers.length > 3 ? ', …' : ''}) moved no event time`,
          source,
          field: wm.field,
          eventTime: started.time,
          reason: 'start',
        });
      }
      if (reason === undefined) continue;
      if (Array.isArray(reason)) {
        this.ctx.quarantined(-reason.length);
        this.ctx.report({
          code: 'vigil.future',
          message: `source "${source}" jumped to ${time} in '${wm.field}' and ${this.ctx.options.jumpConfirmations} events in a row agree: its ${reason.length} waiting events are accepted`,
          source,
          field: wm.field,
          eventTime: time,
          reason: 'jump-confirmed',
        });
        released(wm.field, reason as ReleasedEvent[]);
        continue;
      }
      (quarantined ??= new Set()).add(wm.field);
      this.ctx.quarantined(1);
      this.reportQuarantine(reason, wm.field, source, time, now);
    }
    return quarantined;
  }

  /**
   * Moves every field's watermark to what its sources now allow, closing the windows that end by
   * then; `index` is the input event after which this happens (undefined inside re-entered alerts).
   */
  advanceEventTime(index: number | undefined, fired: Fired): void {
    for (const wm of this.fields.values()) {
      const before = wm.clock.value;
      const after = wm.clock.advance();
      if (after <= before) continue;
      if (index !== undefined) wm.moves.push({ index, value: after });
      for (const rule of wm.rules) advanceRule(rule, after, fired);
    }
  }

  advanceProcessingTime(fired: Fired): void {
    if (!this.processingTimeRules.length) return;
    const now = this.ctx.clock();
    for (const rule of this.processingTimeRules) advanceRule(rule, now, fired);
  }

  /** Declared by the caller: no event earlier than `timeMs` will come. */
  raiseAll(timeMs: number, fired: Fired): void {
    for (const wm of this.fields.values()) {
      if (timeMs > wm.clock.value) {
        wm.clock.raise(timeMs);
        for (const rule of wm.rules) advanceRule(rule, timeMs, fired);
      }
    }
  }

  /** The watermark an alert-fed rule's windows advance to. */
  watermarkOf(rule: LiveRule): number {
    const field = rule.plan.aggregation!.timeField;
    return field === undefined ? this.ctx.clock() : this.fields.get(field)!.clock.value;
  }

  /**
   * The index of the event in the last batch after which `field`'s watermark first reached `time`
   * (`otherwise` when it did not in that batch): where a window that closes at `time` belongs in the
   * order of output, whatever the batch boundaries.
   */
  reachedAt(field: string | undefined, time: number, otherwise: number): number {
    const moves = field === undefined ? undefined : this.fields.get(field)?.moves;
    if (!moves) return otherwise;
    for (const move of moves) if (move.value >= time) return move.index;
    return otherwise;
  }

  snapshot(): { watermarks: [string, number | null][]; eventClocks: [string, EventClockSnapshot][] } {
    return {
      watermarks: [...this.fields].map(([field, wm]) => [field, Number.isFinite(wm.clock.value) ? wm.clock.value : null]),
      eventClocks: [...this.fields].map(([field, wm]) => [field, wm.clock.snapshot()]),
    };
  }

  restore(watermarks: [string, number | null][], eventClocks: [string, EventClockSnapshot][]): void {
    const clocks = new Map(eventClocks);
    for (const [field, value] of watermarks) {
      const wm = this.fields.get(field);
      if (!wm) continue;
      const saved = clocks.get(field);
      if (saved) wm.clock.restore(saved);
      else wm.clock.raise(value ?? -Infinity);
    }
  }

  describe(now: number): { field: string; watermark: number | null; sources: ReturnType<EventClock['describe']> }[] {
    return [...this.fields.values()].map((wm) => ({
      field: wm.field,
      watermark: Number.isFinite(wm.clock.value) ? wm.clock.value : null,
      sources: wm.clock.describe(now),
    }));
  }

  private reportQuarantine(reason: Quarantine, field: string, source: string, time: number, now: number): void {
    const { maxSources, maxFutureMs, maxJumpMs } = this.ctx.options;
    // Bounded like the sources themselves: past that many names, new ones are only counted.
    if (!this.quarantineReports.has(source) && this.quarantineReports.size >= maxSources) return;
    const reported = (this.quarantineReports.get(source) ?? 0) + 1;
    this.quarantineReports.set(source, reported);
    if (reported > MAX_QUARANTINE_REPORTS + 1) return;
    const message =
      reported > MAX_QUARANTINE_REPORTS
        ? `more events too far ahead from source "${source}" are counted (metrics: quarantined), not reported`
        : reason === 'future'
          ? `event time ${time} in '${field}' is more than ${maxFutureMs} ms ahead of the clock (${now}): quarantined, it moves no event time`
          : `event time ${time} in '${field}' is more than ${maxJumpMs} ms ahead of source "${source}": quarantined, it moves no event time`;
    this.ctx.report({ code: 'vigil.future', message, source, field, eventTime: time, reason });
  }
}

export function advanceRule(rule: LiveRule, watermark: number, fired: Fired): void {
  if (!rule.active || !rule.state.windows) return;
  for (const window of rule.state.windows.advance(watermark)) fired(rule, window);
}
