/**
 * The inputs an engine takes — a batch of events, a clock tick, a declared watermark, the end of
 * input — each run as one chain of re-entry (reentry.ts), so what it raises comes out in one order
 * whatever the batch boundaries. Also the edge's part of a chain: a batch whose direct alerts go
 * to a chain run by its caller (`pushLevel`).
 */
import type { EventRecord } from '../lang/fields.js';
import { Work, type Firing, type KeyedAlert } from './firing.js';
import type { Metrics } from './metrics.js';
import { isFlatRecord, MAX_EVENT_DEPTH, nestingDepthExceeds } from './nesting.js';
import type { ResolvedOptions } from './options.js';
import type { Pipeline } from './pipeline.js';
import type { Reentry } from './reentry.js';
import type { RuleRegistry } from './registry.js';
import { advanceRule, DEFAULT_SOURCE, type Fired, type TimeIndex } from './time-index.js';
import type { PushOptions, PushResult } from './types.js';

export interface InputsContext {
  options: ResolvedOptions;
  registry: RuleRegistry;
  time: TimeIndex;
  firing: Firing;
  pipeline: Pipeline;
  reentry: Reentry;
  metrics: Metrics;
  /** Counts an alert for its rule and the engine (it is emitted by someone else's chain). */
  count(keyed: KeyedAlert): void;
}

export class Inputs {
  /** Events consumed from the input, for checkpoints and for error messages. */
  position = 0;

  constructor(private readonly ctx: InputsContext) {}

  push(events: readonly unknown[], options: PushOptions): PushResult {
    const batch: EventRecord[] = [];
    const rejected: PushResult['rejected'] = [];
    for (let i = 0; i < events.length; i++) {
      // Read once: what is checked is what the rules get.
      const event = events[i];
      // A flat record (the common event) passes the door without a further look.
      if (isFlatRecord(event)) {
        batch.push(event as EventRecord);
        continue;
      }
      const reason = refusal(event);
      if (reason !== undefined) rejected.push({ index: i, reason });
      else batch.push(event as EventRecord);
    }
    this.position += events.length;
    this.ctx.metrics.eventsIn(batch.length);
    if (batch.length) {
      this.startBatch(options);
      this.ctx.reentry.input((raise) => {
        raise(this.ctx.pipeline.run(batch, 0, (origin) => [origin]));
        this.settleDerived(raise, batch.length);
      });
    }
    return { accepted: batch.length, rejected };
  }

  pushLevel(events: readonly Record<string, unknown>[], indexOf: (origin: number) => number, options: PushOptions): KeyedAlert[] {
    for (const event of events) {
      const reason = refusal(event);
      if (reason) throw new TypeError(reason);
    }
    if (!events.length) return [];
    const batch = events as EventRecord[];
    this.position += batch.length;
    this.ctx.metrics.eventsIn(batch.length);
    this.startBatch(options);
    // Before the first event (processing-time windows) and after the last (windows settled at the end).
    const at = (origin: number) => (origin < 0 ? indexOf(0) - 0.5 : indexOf(Math.min(origin, batch.length - 1)));
    const raised = this.ctx.pipeline.run(batch, 0, (origin) => [at(origin)]);
    this.settleDerived((level) => raised.push(...level), batch.length, at);
    for (const keyed of raised) this.ctx.count(keyed);
    return raised;
  }

  advanceTime(): void {
    this.ctx.reentry.input((raise) => {
      raise(this.fire((fired) => this.ctx.time.advanceProcessingTime(fired), [0]));
      this.settleDerived(raise);
    });
  }

  advanceWatermark(timeMs: number): void {
    this.ctx.reentry.input((raise) => {
      raise(this.fire((fired) => this.ctx.time.raiseAll(timeMs, fired), [0]));
      this.settleDerived(raise);
    });
  }

  /** Every open window fires; alert-fed rules drain after the rules that feed them, so the last alerts still reach their windows. */
  flush(): void {
    const { registry, time, options } = this.ctx;
    this.ctx.reentry.input((raise) => {
      raise(
        this.fire((fired) => {
          for (const rule of registry.ordered()) {
            if (!rule.state.windows || !rule.active || rule.plan.alertFed) continue;
            for (const window of rule.state.windows.drain()) fired(rule, window);
          }
        }, [0]),
      );
      for (let round = 1; round <= options.maxReentryDepth + 1 && time.derivedRules.length; round++) {
        let any = false;
        const level = this.fire((fired) => {
          for (const rule of time.derivedRules) {
            if (!rule.active) continue;
            for (const window of rule.state.windows!.advance(Infinity)) {
              any = true;
              fired(rule, window);
            }
          }
        }, [round]);
        raise(level);
        if (!any) break;
      }
    });
  }

  private startBatch(options: PushOptions): void {
    if (options.outOfOrderMs !== undefined && !(options.outOfOrderMs >= 0)) throw new RangeError('outOfOrderMs must not be negative');
    this.ctx.time.batchSource = options.source ?? DEFAULT_SOURCE;
    this.ctx.time.batchBound = options.outOfOrderMs;
  }

  /** Runs `work`, which may close windows, then HAVING and SINK for what closed; the alerts keyed after `prefix`. */
  private fire(work: (fired: Fired) => void, prefix: number[]): KeyedAlert[] {
    const pending = new Work();
    work((rule, window) => pending.fired(rule, window, 0));
    return this.ctx.firing.finish(pending, () => prefix);
  }

  /**
   * Moves the windows of alert-fed rules up to their watermarks, again and again while that fires
   * windows whose alerts feed further rules (bounded by the re-entry depth). A window goes in the
   * output after the input event that moved its watermark past its end, as if the batch had
   * ended there: the order does not depend on batch boundaries. (`batchLength` is the pushed
   * batch's; without it, after a clock tick, they come after the tick's own alerts.)
   */
  private settleDerived(raise: (level: KeyedAlert[]) => void, batchLength?: number, indexOf: (origin: number) => number = (origin) => origin): void {
    const { time, firing, options } = this.ctx;
    if (!time.derivedRules.length) return;
    for (let round = 0; round <= options.maxReentryDepth; round++) {
      const work = new Work();
      for (const rule of time.derivedRules) {
        const field = rule.plan.aggregation!.timeField;
        advanceRule(rule, time.watermarkOf(rule), (r, window) => work.fired(r, window, batchLength === undefined ? 0 : time.reachedAt(field, window.end, batchLength)));
      }
      const level = firing.finish(work, (origin) => (batchLength === undefined ? [1, round] : [indexOf(origin) + 0.5, round]));
      if (!work.having.size && !work.sink.size) return;
      raise(level);
    }
  }
}

/** Why an event is refused at the door, if it is. */
function refusal(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return `event is ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}, not an object`;
  }
  // Everything after the door walks events recursively (keys, output, checkpoints, the sandbox).
  if (nestingDepthExceeds(event, MAX_EVENT_DEPTH)) return `nested deeper than ${MAX_EVENT_DEPTH} (or cyclic)`;
  return undefined;
}
