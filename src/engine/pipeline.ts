/**
 * The batch pipeline: the path of a batch of events (or of re-entered alerts) through the rules —
 * route, FILTER (one crossing per rule), IOC FILTERS (one crossing per list), then in event order
 * event time, windows and state machines — leaving the work for HAVING and SINK to firing.ts.
 */
import { forgetEventReads } from '../sigma/index.js';
import { parseEventTime } from './event-time.js';
import { groupKeyText, type EventRecord } from '../lang/fields.js';
import { Firing, Work, type KeyedAlert } from './firing.js';
import type { IocRegistry } from './ioc-registry.js';
import { applyIocTerms, type IocWork } from './ioc-stage.js';
import type { ResolvedOptions } from './options.js';
import type { FunctionPhase } from './ports.js';
import type { LiveRule, RuleRegistry } from './registry.js';
import { ALERT_FIELD } from './rule-plan.js';
import { shedOne, stateLimitMessage } from './rule-state.js';
import { wholeEvent } from './whole-event.js';
import type { MachineTransition } from './state-machine.js';
import type { ReleasedEvent, TimeIndex } from './time-index.js';
import type { Alert, RuntimeDiagnostic } from './types.js';

/** A rule's events of one batch (indices into it) and, per index, whether the event still passes. */
interface RuleEvents {
  rule: LiveRule;
  indices: number[];
  passed: Uint8Array;
}

/** A STATE MACHINE rule's events of one batch, in order, as parallel arrays. */
interface MachineBatch {
  seqs: number[];
  origins: number[];
  events: EventRecord[];
  times: number[];
}

export interface PipelineContext {
  options: ResolvedOptions;
  registry: RuleRegistry;
  time: TimeIndex;
  iocs: IocRegistry;
  firing: Firing;
  clock(): number;
  report(diagnostic: RuntimeDiagnostic): void;
  deactivate(rule: LiveRule, violation: unknown, phase: FunctionPhase): Alert | undefined;
  lateEvent(): void;
  /** Told every state-machine step, when someone listens (engine.onTransition). */
  transitions(): ((transition: MachineTransition) => void) | undefined;
}

/** The positions of `at` in the order of their values, equal values in their order (a stable sort). */
function inEventOrder(at: readonly number[]): number[] {
  if (at.length > 32) return at.map((_, j) => j).sort((x, y) => at[x]! - at[y]!);
  const order: number[] = new Array(at.length);
  // Usually a few: an insertion sort.
  for (let j = 0; j < at.length; j++) {
    let p = j;
    while (p > 0 && at[order[p - 1]!]! > at[j]!) {
      order[p] = order[p - 1]!;
      p--;
    }
    order[p] = j;
  }
  return order;
}

export class Pipeline {
  constructor(private readonly ctx: PipelineContext) {}

  /**
   * One batch: input events at depth 0, re-entered alerts (routed by `rule` alone) above. Returns
   * the alerts it raised, keyed by `prefixOf(index of the event they arose from)` and their sequence.
   */
  run(batch: readonly EventRecord[], depth: number, prefixOf: (origin: number) => number[]): KeyedAlert[] {
    const { registry, time, firing } = this.ctx;
    const work = new Work();
    // Sigma rules share field reads per event object; a caller may change an object between pushes.
    if (depth === 0) forgetEventReads();

    // Route: each rule gets the indices of the events that reach it, in order (rules in the order of their first event).
    const routed = depth === 0 ? registry.router.routeBatch(batch) : registry.router.routeBatch(batch, ALERT_FIELD);

    // FILTER, one crossing per rule for the whole batch; then IOC FILTERS, one crossing per list.
    const passing: RuleEvents[] = [];
    const iocWork: IocWork[] = [];
    for (let r = 0; r < routed.rules.length; r++) {
      const rule = routed.rules[r]!;
      if (!rule.active) continue;
      const indices = routed.indices[r]!;
      rule.state.stats.routed += indices.length;
      const passed = new Uint8Array(indices.length).fill(1);
      if (rule.plan.filter) {
        let errors;
        try {
          errors = firing.filter(rule, rule.plan.filter, batch, indices, passed);
        } catch (violation) {
          work.systemAlert(this.ctx.deactivate(rule, violation, 'filter'), -1);
          continue;
        }
        if (errors.size) firing.reportErrors(rule, 'filter', errors, (k) => wholeEvent(batch[indices[k]!]!));
      }
      if (rule.plan.iocTerms.length) iocWork.push({ terms: rule.plan.iocTerms, indices, passed });
      passing.push({ rule, indices, passed });
    }
    if (iocWork.length) applyIocTerms(this.ctx.iocs, iocWork, batch);

    // In event order: event time, windows, machines, and the work for HAVING and SINK.
    let origin = -1;
    const fired = (rule: LiveRule, window: Parameters<Work['fired']>[1]) => work.fired(rule, window, origin);
    time.advanceProcessingTime(fired);
    const now = this.ctx.clock();
    if (depth === 0) time.startInput(now);
    const machineWork = new Map<LiveRule, MachineBatch>();
    // Rule order: the rules this batch reached, sorted (or, when they are many, picked out of the rules in order).
    const all = registry.ordered();
    let inOrder: RuleEvents[];
    if (passing.length * 8 < all.length) {
      inOrder = passing.sort((a, b) => a.rule.order - b.rule.order);
    } else {
      const of = new Map<LiveRule, RuleEvents>();
      for (const item of passing) of.set(item.rule, item);
      inOrder = [];
      for (const rule of all) {
        const item = of.get(rule);
        if (item) inOrder.push(item);
      }
    }
    const place = (rule: LiveRule, event: EventRecord): void => {
      const machine = rule.plan.stateMachine;
      if (machine) {
        const at = machine.timeReader ? parseEventTime(machine.timeReader(event)) : now;
        if (at === undefined) return this.reportBadTime(rule, machine.timeField!, machine.timeReader!(event));
        let items = machineWork.get(rule);
        if (!items) machineWork.set(rule, (items = { seqs: [], origins: [], events: [], times: [] }));
        items.seqs.push(work.nextSeq());
        items.origins.push(origin);
        items.events.push(event);
        items.times.push(at);
        return;
      }
      const agg = rule.plan.aggregation;
      if (!agg) return work.toSink(rule, event, origin);
      const at = agg.timeReader ? parseEventTime(agg.timeReader(event)) : now;
      if (at === undefined) return this.reportBadTime(rule, agg.timeField!, agg.timeReader!(event));
      const key = agg.keyReaders.map((read) => read(event) ?? null);
      const windows = rule.state.windows!;
      const maxHeld = this.ctx.options.maxHeldEvents;
      const outcome = windows.insert(at, groupKeyText(key), key, event, maxHeld);
      if (outcome.shed) {
        if (shedOne(rule.state)) this.ctx.report({ code: 'vigil.state-limit', rule: rule.name, message: stateLimitMessage('windows', maxHeld, 'maxHeldEvents'), limit: maxHeld });
      } else if (outcome.late) {
        rule.state.stats.late++;
        this.ctx.lateEvent();
        this.ctx.report({
          code: 'vigil.late',
          rule: rule.name,
          message: `event at ${at} arrived after its windows closed (watermark ${windows.currentWatermark}, allowed lateness ${this.ctx.options.allowedLatenessMs} ms)`,
          eventTime: at,
          watermark: windows.currentWatermark,
        });
      } else {
        rule.state.shedding = false;
        for (const window of outcome.refired) fired(rule, window);
      }
    };
    const handle = (rule: LiveRule, event: EventRecord, quarantined: Set<string> | undefined): void => {
      if (!rule.active) return;
      rule.state.stats.matched++;
      // A quarantined time enters no window and no state machine (it could expire every key) —
      // unless its source's jump is confirmed later, and `released` hands it over then.
      if (quarantined && quarantined.has((rule.plan.stateMachine ?? rule.plan.aggregation)?.timeField as string)) return;
      place(rule, event);
    };
    /** Events whose jump in time was confirmed: into the windows and machines they were kept from. */
    const released = (field: string, items: ReleasedEvent[]) => {
      for (const { item: event, context } of items) {
        const rules = context as LiveRule | LiveRule[] | undefined;
        for (const rule of rules === undefined ? [] : Array.isArray(rules) ? rules : [rules]) {
          if (rule.active && (rule.plan.stateMachine ?? rule.plan.aggregation)?.timeField === field) place(rule, event);
        }
      }
    };
    const trusted = depth > 0;
    // Event-time clocks exist only when a rule uses one (USING, a state machine's time field): then
    // every event goes to them, in order. Without them only the events that passed a rule matter.
    if (time.fields.size > 0) {
      // The rules each event passed, in rule order (most events pass one rule or none: no array for them).
      const perEvent: (LiveRule | LiveRule[] | undefined)[] = new Array(batch.length);
      for (const { rule, indices, passed } of inOrder) {
        for (let k = 0; k < indices.length; k++) {
          if (!passed[k]) continue;
          const i: number = indices[k]!;
          const had: LiveRule | LiveRule[] | undefined = perEvent[i];
          perEvent[i] = had === undefined ? rule : Array.isArray(had) ? (had.push(rule), had) : [had, rule];
        }
      }
      for (let i = 0; i < batch.length; i++) {
        origin = i;
        const passedRules = perEvent[i];
        // A partial event (whole-event.ts) is built whole once it passed a rule's predicates.
        const event = passedRules === undefined ? batch[i]! : wholeEvent(batch[i]!);
        const quarantined = time.observe(event, passedRules, now, trusted, released);
        if (passedRules !== undefined) {
          if (Array.isArray(passedRules)) for (const rule of passedRules) handle(rule, event, quarantined);
          else handle(passedRules, event, quarantined);
        }
        time.advanceEventTime(trusted ? undefined : i, fired);
      }
    } else {
      // (event, rule) pairs, gathered rule by rule, then put in event order; a stable sort keeps
      // the rules of one event in rule order.
      const at: number[] = [];
      const rules: LiveRule[] = [];
      for (const { rule, indices, passed } of inOrder) {
        for (let k = 0; k < indices.length; k++) {
          if (!passed[k]) continue;
          at.push(indices[k]!);
          rules.push(rule);
        }
      }
      const order = inEventOrder(at);
      let event: EventRecord | undefined;
      for (let j = 0; j < order.length; j++) {
        const pair = order[j]!;
        const i = at[pair]!;
        if (i !== origin) {
          origin = i;
          event = wholeEvent(batch[i]!);
        }
        handle(rules[pair]!, event!, undefined);
      }
    }

    for (const [rule, items] of machineWork) this.stepMachine(rule, items, work);
    return firing.finish(work, prefixOf);
  }

  /** One crossing per rule: the batch's events go through the rule's machine in order. */
  private stepMachine(rule: LiveRule, items: MachineBatch, work: Work): void {
    const plan = rule.plan.stateMachine!;
    const maxKeys = this.ctx.options.maxStateKeys;
    const { violations, missingType, shed } = plan.machine.step(rule.state.machine!, items.events, items.times, this.ctx.transitions(), rule.name, maxKeys);
    // The episode ends when the machine has room again, not with a batch that happened to bring no new key.
    if (shed.length === 0 && rule.state.machine!.table.size < maxKeys) rule.state.shedding = false;
    for (let k = 0; k < shed.length; k++) {
      if (shedOne(rule.state)) this.ctx.report({ code: 'vigil.state-limit', rule: rule.name, message: stateLimitMessage('state machine', maxKeys, 'maxStateKeys'), limit: maxKeys });
    }
    for (const i of missingType) {
      rule.state.stats.errors++;
      this.ctx.report({ code: 'vigil.field', rule: rule.name, message: `event has no value in field '${plan.machine.spec.on.field}' to move the state machine`, event: items.events[i] });
    }
    for (const [i, violation] of violations) work.toSink(rule, violation, items.origins[i]!, items.seqs[i]!);
  }

  private reportBadTime(rule: LiveRule, field: string, value: unknown): void {
    rule.state.stats.errors++;
    this.ctx.report({ code: 'vigil.time', rule: rule.name, message: `event has no valid time in field '${field}' (epoch ms or ISO-8601 expected)`, value });
  }
}
