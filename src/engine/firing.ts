/**
 * Firing: the work an input leaves for HAVING and SINK (events that passed simple rules, windows
 * that closed, machine violations), run one crossing per rule and function, then SUPPRESS, then the
 * alerts — each with its order key (reentry.ts explains the order).
 */
import { complexEventOf, toAlert } from './alert-shape.js';
import { parseEventTime } from './event-time.js';
import { ownField, type EventRecord } from '../lang/fields.js';
import type { ResolvedOptions } from './options.js';
import type { BatchOutcome, FunctionPhase } from './ports.js';
import type { LiveRule } from './registry.js';
import type { FunctionRunner } from './rule-plan.js';
import { shedOne, stateLimitMessage } from './rule-state.js';
import type { StateMachineViolation } from './state-machine.js';
import type { Alert, RuleActivity, RuntimeDiagnostic } from './types.js';
import type { FiredWindow } from './window.js';

/** One unit of pending work, ordered by `seq` so output order never depends on batch size. */
/** A rule's first errors are reported one by one; after that one notice, then they are only counted. */
export const RULE_ERRORS_REPORTED = 10;
export const MORE_RULE_ERRORS = 'more errors from this rule are counted in its metrics, not reported';

export interface Pending {
  seq: number;
  /** The event of the batch during which it arose (−1: before the first). */
  origin: number;
  rule: LiveRule;
  input: unknown;
  window?: FiredWindow<EventRecord>;
}

/** An alert with its place in the output order (compared element by element). */
export interface KeyedAlert {
  key: number[];
  alert: Alert;
  /** Already counted by the engine whose rule raised it (re-entered there for another engine's chain). */
  counted?: boolean;
}

/** The pending work of one batch or one firing of windows. */
export class Work {
  readonly having = new Map<LiveRule, Pending[]>();
  readonly sink = new Map<LiveRule, Pending[]>();
  /** Alerts the engine raises itself (a rule deactivated). */
  readonly system: { seq: number; origin: number; alert: Alert }[] = [];
  private seq = 0;

  nextSeq(): number {
    return this.seq++;
  }

  /** An event (or machine violation) for SINK. */
  toSink(rule: LiveRule, input: unknown, origin: number, seq = this.nextSeq()): void {
    queue(this.sink, { seq, origin, rule, input });
  }

  /** A closed window: to HAVING when the rule has one, else as a complex event to SINK. */
  fired(rule: LiveRule, window: FiredWindow<EventRecord>, origin: number): void {
    const agg = rule.plan.aggregation!;
    queue(rule.plan.having ? this.having : this.sink, { seq: this.nextSeq(), origin, rule, input: complexEventOf(agg, window), window });
  }

  systemAlert(alert: Alert | undefined, origin: number): void {
    if (alert) this.system.push({ seq: this.nextSeq(), origin, alert });
  }
}

export interface FiringContext {
  options: ResolvedOptions;
  activity?: RuleActivity;
  clock(): number;
  report(diagnostic: RuntimeDiagnostic): void;
  /** Deactivates the rule for a violation (rethrows anything else); the alert saying so, once. */
  deactivate(rule: LiveRule, violation: unknown, phase: FunctionPhase): Alert | undefined;
}

export class Firing {
  constructor(private readonly ctx: FiringContext) {}

  /** HAVING, then SINK, one crossing per rule each; then the alerts, keyed by `prefixOf(origin)` and seq. */
  finish(work: Work, prefixOf: (origin: number) => number[]): KeyedAlert[] {
    const keyOf = (origin: number, seq: number) => {
      const prefix = prefixOf(origin);
      return prefix.length === 1 ? [prefix[0]!, seq] : [...prefix, seq];
    };
    const out: KeyedAlert[] = work.system.map(({ seq, origin, alert }) => ({ key: keyOf(origin, seq), alert }));
    const deactivate = (rule: LiveRule, violation: unknown, phase: FunctionPhase, origin: number) => {
      const alert = this.ctx.deactivate(rule, violation, phase);
      if (alert) out.push({ key: keyOf(origin, work.nextSeq()), alert });
    };
    for (const [rule, items] of work.having) {
      if (!rule.active) continue;
      let outcome;
      try {
        outcome = this.run(rule, 'having', rule.plan.having!, items.map((item) => (rule.plan.aggregation?.havingTakesWindow ? item.window! : item.window!.events)));
      } catch (violation) {
        deactivate(rule, violation, 'having', items[0]!.origin);
        continue;
      }
      if (outcome.errors.size) this.reportErrors(rule, 'having', outcome.errors);
      items.forEach((item, k) => {
        const result = outcome.results[k];
        if (result === false || result === null || result === undefined) return;
        queue(work.sink, result === true ? item : { ...item, input: result });
      });
    }
    for (const [rule, items] of work.sink) {
      if (!rule.active) continue;
      let outcome;
      try {
        outcome = this.run(rule, 'sink', rule.plan.sink, items.map((item) => item.input));
      } catch (violation) {
        deactivate(rule, violation, 'sink', items[0]!.origin);
        continue;
      }
      if (outcome.errors.size) this.reportErrors(rule, 'sink', outcome.errors);
      items.forEach((item, k) => {
        const alert = toAlert(rule.name, outcome.results[k], item.input, item.window, rule.plan.aggregation);
        if (alert && (!rule.plan.suppression || this.admit(rule, item, alert))) out.push({ key: keyOf(item.origin, item.seq), alert });
      });
    }
    return out;
  }

  /** One rule function over a batch, announced to the outer guard when there is one. */
  run(rule: LiveRule, phase: FunctionPhase, runner: FunctionRunner, inputs: readonly unknown[]): BatchOutcome<unknown> {
    this.ctx.activity?.enter(rule.name, phase);
    try {
      return this.runInCrossings(rule, phase, runner, inputs);
    } finally {
      this.ctx.activity?.leave();
    }
  }

  /**
   * A FILTER over the events `indices` picks out of `batch`: clears `passed[k]` for those it does
   * not pass and returns its errors by k. Native FILTERs run over the indices in one call; a
   * sandboxed one gets the events copied out, as `run` takes them.
   */
  filter(rule: LiveRule, runner: FunctionRunner, batch: readonly EventRecord[], indices: readonly number[], passed: Uint8Array): Map<number, string> {
    let errors: Map<number, string>;
    if (runner.filterOver) {
      this.ctx.activity?.enter(rule.name, 'filter');
      try {
        errors = runner.filterOver(batch, indices, passed);
      } finally {
        this.ctx.activity?.leave();
      }
    } else {
      const outcome = this.run(rule, 'filter', runner, indices.map((i) => batch[i]));
      for (let k = 0; k < indices.length; k++) if (!outcome.results[k]) passed[k] = 0;
      errors = outcome.errors;
    }
    return errors;
  }

  reportErrors(rule: LiveRule, phase: FunctionPhase, errors: Map<number, string>, inputOf?: (k: number) => unknown): void {
    const stats = rule.state.stats;
    for (const [k, message] of errors) {
      stats.errors++;
      // The first few errors of a rule are reported one by one; after that only counted.
      if (stats.errors <= RULE_ERRORS_REPORTED) {
        this.ctx.report({ code: 'vigil.rule.error', rule: rule.name, phase, message: `${phase} threw ${message}`, event: inputOf?.(k) });
      } else if (stats.errors === RULE_ERRORS_REPORTED + 1) {
        this.ctx.report({ code: 'vigil.rule.error', rule: rule.name, phase, message: MORE_RULE_ERRORS });
      }
    }
  }

  /**
   * A sandboxed HAVING or SINK crosses into the sandbox with at most as many windows (or alerts) as
   * its per-batch budget gives each its full per-item time (500 ms / 10 ms: 50). A flush that closes
   * thousands of windows would otherwise share one capped budget among them, and a correct rule
   * would be cut for the number of windows rather than for what it does with one.
   */
  private runInCrossings(rule: LiveRule, phase: FunctionPhase, runner: FunctionRunner, inputs: readonly unknown[]): BatchOutcome<unknown> {
    if (phase === 'filter' || runner.mode !== 'sandbox') return runner.run(inputs);
    const limits = { ...this.ctx.options.sandbox, ...this.ctx.options.sandboxPerRule?.[rule.name] };
    const perCrossing = Math.max(1, Math.floor(limits.maxBatchMs / limits.cpuMsPerEvent));
    if (inputs.length <= perCrossing) return runner.run(inputs);
    const results: unknown[] = [];
    const errors = new Map<number, string>();
    for (let from = 0; from < inputs.length; from += perCrossing) {
      const outcome = runner.run(inputs.slice(from, from + perCrossing));
      results.push(...outcome.results);
      for (const [k, message] of outcome.errors) errors.set(from + k, message);
    }
    return { results, errors };
  }

  /** SUPPRESS: whether the alert is raised; one raised again in its period gets a `suppression` note. */
  private admit(rule: LiveRule, item: Pending, alert: Alert): boolean {
    const plan = rule.plan.suppression!;
    let key: readonly unknown[];
    if (plan.keyReaders.length) key = plan.keyReaders.map((read) => read(alert) ?? null);
    else if (item.window) key = item.window.key;
    else if (rule.plan.stateMachine) key = rule.plan.stateMachine.machine.keyFields.map((f) => ownField((item.input as StateMachineViolation).key, f) ?? null);
    else key = [];
    let time = item.window?.end;
    if (time === undefined && plan.timeReader) {
      const event = rule.plan.stateMachine ? (item.input as StateMachineViolation).event : (item.input as EventRecord);
      time = parseEventTime(plan.timeReader(event));
    }
    const count = typeof alert.count === 'number' && Number.isFinite(alert.count) ? alert.count : (item.window?.events.length ?? 1);
    const maxKeys = this.ctx.options.maxStateKeys;
    const verdict = rule.state.suppressor!.admit(key, time ?? this.ctx.clock(), count, maxKeys);
    if (!verdict.raise) {
      rule.state.stats.suppressed++;
      return false;
    }
    if (verdict.untracked) {
      if (shedOne(rule.state)) this.ctx.report({ code: 'vigil.state-limit', rule: rule.name, message: stateLimitMessage('SUPPRESS', maxKeys, 'maxStateKeys'), limit: maxKeys });
    } else if (rule.state.suppressor!.size < maxKeys) {
      rule.state.shedding = false;
    }
    if (verdict.note) alert.suppression = verdict.note;
    return true;
  }
}

function queue(into: Map<LiveRule, Pending[]>, item: Pending): void {
  const list = into.get(item.rule);
  if (list) list.push(item);
  else into.set(item.rule, [item]);
}
