/**
 * A rule's state: what changes as events arrive — its open windows, its machine's keys, its
 * SUPPRESS periods, its status and its counts. The engine owns it; the plan (rule-plan.ts) holds
 * none of it. When a rule gets a new plan (a new version, or a fresh sandbox after a deactivation),
 * `carryOver` is the one place that decides which parts the new plan can take over.
 */
import type { EventRecord } from '../lang/fields.js';
import type { StateTableFactory, WindowBufferFactory } from './ports.js';
import type { AggregationPlan, RulePlan, StateMachinePlan, SuppressionPlan } from './rule-plan.js';
import { MachineKeys } from './state-machine.js';
import { Suppressor } from './suppression.js';
import { WindowStore } from './window.js';

export type RuleStatus = 'active' | 'deactivated' | 'disabled';

export interface RuleStats {
  routed: number;
  matched: number;
  alerts: number;
  late: number;
  errors: number;
  /** Alerts held back by SUPPRESS. */
  suppressed: number;
  /** Events and keys not kept because the rule's state was at its bound (maxHeldEvents, maxStateKeys). */
  shed: number;
}

export interface RuleState {
  status: RuleStatus;
  /** Why the rule was deactivated, when it was. */
  deactivation?: { kind: string; reason: string; at: number };
  stats: RuleStats;
  /** An aggregation rule's open windows. */
  windows?: WindowStore<EventRecord>;
  /** A STATE MACHINE rule's keys. */
  machine?: MachineKeys;
  /** A SUPPRESS rule's periods. */
  suppressor?: Suppressor;
  /** True from the first event or key shed until the rule has room again: one report per episode. */
  shedding?: boolean;
}

/** What state needs from the runtime: where its WebAssembly parts live. */
export interface StateContext {
  stateTables: StateTableFactory;
  windowBuffers: WindowBufferFactory;
}

export function emptyStats(): RuleStats {
  return { routed: 0, matched: 0, alerts: 0, late: 0, errors: 0, suppressed: 0, shed: 0 };
}

/**
 * Counts one event or key the rule did not keep because a part of its state was at its bound;
 * true when this starts an episode (the caller reports it), false while one goes on.
 */
export function shedOne(state: RuleState): boolean {
  state.stats.shed++;
  if (state.shedding) return false;
  return (state.shedding = true);
}

/** The `vigil.state-limit` report for a rule starting to shed: what is full, and the bound. */
export function stateLimitMessage(part: 'windows' | 'state machine' | 'SUPPRESS', limit: number, option: 'maxHeldEvents' | 'maxStateKeys'): string {
  const what = part === 'windows' ? `its windows hold ${limit} events` : `its ${part} holds ${limit} keys`;
  const kept = part === 'windows' ? 'new events are not kept until panes expire' : part === 'SUPPRESS' ? "new keys' alerts are raised without a period" : "new keys' events do not step the machine";
  return `the rule's state is at its bound: ${what} (${option}); ${kept}, each counted in stats.shed`;
}

/** The state of a rule that has seen nothing yet. */
export function freshState(plan: RulePlan, ctx: StateContext): RuleState {
  return {
    status: 'active',
    stats: emptyStats(),
    windows: plan.aggregation && new WindowStore<EventRecord>(plan.aggregation.window, ctx.windowBuffers),
    machine: plan.stateMachine && MachineKeys.create(ctx.stateTables),
    suppressor: plan.suppression && new Suppressor(plan.suppression.periodMs),
  };
}

/**
 * The state `next` starts with when it replaces `previous`: the open windows when the windows are
 * the same (keys, time field, length, slide), the machine's keys when the machine is the same (keys,
 * ON field, states, transitions, timeout, reset, time field), the SUPPRESS periods when the period
 * and key are the same; anything else starts fresh (and what is not taken over is freed). Status
 * and counts start afresh too: a new version is a new rule to its operators — unless the text is
 * the same (a deactivated rule given a fresh sandbox), which keeps its counts.
 */
export function carryOver(previous: RulePlan, next: RulePlan, state: RuleState, ctx: StateContext): RuleState {
  const fresh = freshState(next, ctx);
  if (state.windows && fresh.windows && sameWindowing(previous.aggregation!, next.aggregation!)) {
    fresh.windows.dispose();
    fresh.windows = state.windows;
  } else {
    state.windows?.dispose();
  }
  if (state.machine && fresh.machine && sameMachine(previous, next)) {
    fresh.machine.dispose();
    fresh.machine = state.machine;
  } else {
    state.machine?.dispose();
  }
  if (state.suppressor && fresh.suppressor && sameSuppression(previous.suppression!, next.suppression!)) fresh.suppressor = state.suppressor;
  if (previous.text === next.text) fresh.stats = state.stats;
  return fresh;
}

/** Frees what a state holds outside the JavaScript heap. */
export function disposeState(state: RuleState): void {
  state.windows?.dispose();
  state.machine?.dispose();
}

function sameWindowing(x: AggregationPlan, y: AggregationPlan): boolean {
  return (
    x.keyFields.join('\u0000') === y.keyFields.join('\u0000') &&
    x.timeField === y.timeField &&
    x.window.lengthMs === y.window.lengthMs &&
    x.window.slideMs === y.window.slideMs
  );
}

function machineShape(plan: RulePlan): string | undefined {
  const sm: StateMachinePlan['machine']['spec'] | undefined = plan.ast?.stateMachine;
  if (!sm) return undefined;
  return JSON.stringify([
    sm.keyFields.map((f) => f.field),
    sm.on.field,
    sm.states.map((st) => [st.name, st.transitions.map((t) => [t.event, t.target])]),
    sm.timeout?.ms,
    sm.resetOnAlert,
    plan.ast?.using?.field,
  ]);
}

function sameMachine(a: RulePlan, b: RulePlan): boolean {
  const x = machineShape(a);
  return x !== undefined && x === machineShape(b);
}

function sameSuppression(x: SuppressionPlan, y: SuppressionPlan): boolean {
  return x.periodMs === y.periodMs && x.keyFields.join('\u0000') === y.keyFields.join('\u0000');
}
