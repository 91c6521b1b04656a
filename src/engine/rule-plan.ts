/**
 * A rule's plan: what the compiler makes of a parsed rule, immutable while the rule lives —
 * routing selectors, a runner per function (a native closure when the function is provably cheap,
 * else the rule's sandbox), IOC terms, and the specs of its windows, machine and suppression. What
 * changes as events arrive (windows, machine keys, suppression periods, status, counts) is the
 * rule's state, kept apart (rule-state.ts) so a new plan can take it over (`carryOver`).
 */
import type { Node as AcornNode } from 'acorn';
import type { JsFunction, RuleAst } from '../lang/ast.js';
import type { SigmaMeta, SigmaRulePlan } from '../sigma/index.js';
import type { Clause } from '../sigma/prefilter.js';
import { compileFunction } from '../lang/compile-expression.js';
import { nativeUnsafeReason } from '../lang/native-safety.js';
import type { StateTableFactory } from './ports.js';
import { ruleEqualities, type RuleEqualities } from './equality-index.js';
import { StateMachine } from './state-machine.js';
import { resolveLimits, SandboxViolation, type BatchOutcome, type FunctionPhase, type RuleSandbox, type SandboxFactory, type SandboxLimits } from './ports.js';
import type { Utils, UtilsHost } from '../lang/utils.js';
import { fieldReader, type EventRecord, type FieldReader } from '../lang/fields.js';
import type { WindowSpec } from './window.js';

export type { FunctionPhase };

/** Runs one rule function over a batch: natively or in the sandbox, with the same outcome shape. */
export interface FunctionRunner {
  readonly mode: 'native' | 'sandbox';
  /** Why the function runs in the sandbox (the construct the compiler could not take). */
  readonly sandboxReason?: string;
  run(inputs: readonly unknown[]): BatchOutcome<unknown>;
  /**
   * A native FILTER over the events `indices` picks out of `batch`, in one call and without
   * copying them out: clears `passed[k]` for each event the FILTER does not pass (or that throws)
   * and returns the errors by k, as `run` would over those events.
   */
  filterOver?(batch: readonly unknown[], indices: readonly number[], passed: Uint8Array): Map<number, string>;
}

export interface IocTermPlan {
  negated: boolean;
  list: string;
  field: string;
  read: FieldReader;
}

export interface AggregationPlan {
  keyFields: string[];
  keyReaders: FieldReader[];
  /** The USING field; undefined means processing time. */
  timeField?: string;
  timeReader?: FieldReader;
  sortBy?: { read: FieldReader; descending: boolean };
  window: WindowSpec;
  /**
   * HAVING receives the fired window (start, end, key, events, update) rather than its events:
   * a Sigma correlation evaluates the matches of the window's last slide (correlation-plan.ts).
   */
  havingTakesWindow?: boolean;
}

export interface SuppressionPlan {
  periodMs: number;
  /** SUPPRESS BY fields, read from the alert; empty: the rule's own key. */
  keyFields: string[];
  keyReaders: FieldReader[];
  /** The rule's USING field, read from the event behind an alert that has no window. */
  timeReader?: FieldReader;
}

export interface StateMachinePlan {
  machine: StateMachine;
  /** The USING field; undefined means processing time. */
  timeField?: string;
  timeReader?: FieldReader;
}

/** Where a rule came from: its language, its text and its file (a plan is compiled again from it). */
export interface RuleSource {
  language: RuleLanguage;
  text: string;
  file: string;
}

/** VGL, or a Sigma rule (YAML; src/sigma compiles its detection). */
export type RuleLanguage = 'vgl' | 'sigma';

export interface RulePlan {
  readonly name: string;
  readonly source: RuleSource;
  /** The parsed VGL rule (undefined for Sigma rules). */
  readonly ast?: RuleAst;
  readonly text: string;
  /** A Sigma rule's metadata (undefined for VGL rules). */
  readonly sigma?: SigmaMeta;
  readonly selectors: readonly { field: string; values: readonly string[] }[];
  readonly filter?: FunctionRunner;
  readonly having?: FunctionRunner;
  readonly sink: FunctionRunner;
  readonly iocTerms: readonly IocTermPlan[];
  /** The FILTER's equality tests, for the rules index (undefined with `equalityIndex: false`). */
  readonly equality?: RuleEqualities;
  /** A Sigma rule's required literals, for the router's prefilter (undefined: none, or `sigmaPrefilter: false`). */
  readonly requires?: readonly Clause[];
  readonly aggregation?: AggregationPlan;
  readonly stateMachine?: StateMachinePlan;
  readonly suppression?: SuppressionPlan;
  /** The rule's sandbox, when a function runs there. Disposed with the plan. */
  readonly sandbox?: RuleSandbox;
  /** Selects alerts (SOURCES rule = …): fed by re-entered alerts. */
  readonly alertFed: boolean;
}

export interface RuleCompileContext {
  sandboxes: SandboxFactory;
  utils: Utils;
  utilsHost: UtilsHost;
  limits: SandboxLimits;
  /** Per-rule limits by rule name (EngineOptions.sandboxPerRule), over `limits` field by field. */
  limitsPerRule?: Readonly<Record<string, Partial<SandboxLimits>>>;
  stateTables: StateTableFactory;
  allowedLatenessMs: number;
  /** Run every FILTER in the sandbox, for comparison with the native path. */
  sandboxOnly: boolean;
  /** The most the heap shared by the sandboxes may grow to (EngineOptions.sandboxHeapBytes). */
  sandboxHeapBytes: number;
  /** Index the FILTER's equality tests (see equality-index.ts). */
  equalityIndex: boolean;
  /** Offer Sigma rules only events that hold one of their required literals (see sigma/prefilter.ts). */
  sigmaPrefilter: boolean;
  /** The clock of the sandbox's CPU deadline (ms); undefined means wall time. */
  cpuClock?: () => number;
}

/** Shared by every native run without errors (callers only read it): one allocation less per rule and batch. */
const NO_ERRORS: Map<number, string> = new Map();

export function nativeRunner(fn: (...args: unknown[]) => unknown, truthy: boolean, identity = false): FunctionRunner {
  return {
    mode: 'native',
    run(inputs) {
      // `function (e) { return e; }` (the usual SINK of a rule that raises its event): no call per input.
      if (identity) return { results: inputs.slice(), errors: NO_ERRORS };
      const results: unknown[] = new Array(inputs.length);
      let errors: Map<number, string> | undefined;
      for (let i = 0; i < inputs.length; i++) {
        try {
          const value = fn(inputs[i]);
          results[i] = truthy ? Boolean(value) : value;
        } catch (error) {
          results[i] = truthy ? false : undefined;
          (errors ??= new Map()).set(i, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        }
      }
      return { results, errors: errors ?? NO_ERRORS };
    },
    filterOver(batch, indices, passed) {
      let errors: Map<number, string> | undefined;
      for (let k = 0; k < indices.length; k++) {
        try {
          if (!fn(batch[indices[k]!])) passed[k] = 0;
        } catch (error) {
          passed[k] = 0;
          (errors ??= new Map()).set(k, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        }
      }
      return errors ?? NO_ERRORS;
    },
  };
}

function sandboxRunner(sandbox: () => RuleSandbox, phase: FunctionPhase, reason: string): FunctionRunner {
  return {
    mode: 'sandbox',
    sandboxReason: reason,
    run(inputs) {
      const box = sandbox();
      if (phase === 'filter') return box.filter(inputs as object[]);
      if (phase === 'having') return box.having(inputs as (readonly object[])[]);
      return box.sink(inputs as object[]);
    },
  };
}

/** Whether the function is `function (x) { return x; }` or `(x) => x` (not async, not a generator, one plain parameter). */
function returnsItsArgument(node: AcornNode): boolean {
  type AnyNode = { type: string; [key: string]: unknown };
  const fn = node as unknown as AnyNode & { async?: boolean; generator?: boolean; params?: AnyNode[]; body?: AnyNode };
  if ((fn.type !== 'FunctionExpression' && fn.type !== 'ArrowFunctionExpression') || fn.async || fn.generator) return false;
  const param = fn.params?.length === 1 ? fn.params[0]! : undefined;
  if (param?.type !== 'Identifier') return false;
  let body: AnyNode | undefined = fn.body;
  if (body?.type === 'BlockStatement') {
    const statements = body.body as AnyNode[];
    body = statements.length === 1 && statements[0]!.type === 'ReturnStatement' ? (statements[0]!.argument as AnyNode | undefined) : undefined;
  }
  while (body?.type === 'ParenthesizedExpression') body = body.expression as AnyNode;
  return body?.type === 'Identifier' && body.name === param.name;
}

/**
 * A refusal's position is inside the function's text; `vigil check` shows positions in the rule
 * file, so turn it into the file's line and column (and say it in the message).
 */
function placedInFile(v: SandboxViolation, ast: RuleAst): SandboxViolation {
  if (v.line === undefined || v.column === undefined) return v;
  const message = v.message.replace(/^rule "[^"]*": /, '');
  const phase = /^(FILTER|HAVING|SINK)\b/.exec(message)?.[1].toLowerCase() as FunctionPhase | undefined;
  const fn = phase ? ast[phase] : undefined;
  if (!fn) return v;
  const line = fn.span.start.line + v.line - 1;
  const column = v.line === 1 ? fn.span.start.column + v.column - 1 : v.column;
  return new SandboxViolation(v.kind, v.rule, `${message} (at ${line}:${column})`, 0, { line, column });
}

export function compileRule(ast: RuleAst, ctx: RuleCompileContext): RulePlan {
  const sandboxed: { filter?: string; having?: string; sink?: string } = {};
  let sandbox: RuleSandbox | undefined;
  const runners: Partial<Record<FunctionPhase, FunctionRunner>> = {};
  const pending: [FunctionPhase, string][] = [];

  const plan = (phase: FunctionPhase, fn: JsFunction | undefined) => {
    if (!fn) return;
    const unsafe = phase === 'filter' && ctx.sandboxOnly ? 'sandbox-only mode' : nativeUnsafeReason(fn.node, fn.text);
    const compiled = unsafe ? { ok: false as const, reason: unsafe } : compileFunction(fn, ctx.utils, { fieldsView: phase === 'having' });
    if (compiled.ok) {
      runners[phase] = nativeRunner(compiled.fn, phase === 'filter', phase === 'sink' && returnsItsArgument(fn.node));
    } else {
      sandboxed[phase] = fn.text;
      pending.push([phase, compiled.reason]);
    }
  };
  plan('filter', ast.filter);
  plan('having', ast.having);
  plan('sink', ast.sink);

  if (pending.length) {
    const own = ctx.limitsPerRule && Object.hasOwn(ctx.limitsPerRule, ast.name) ? ctx.limitsPerRule[ast.name] : undefined;
    const limits = own ? resolveLimits(ctx.limits, own) : ctx.limits;
    try {
      sandbox = ctx.sandboxes.create(ast.name, sandboxed, limits, ctx.utilsHost, { now: ctx.cpuClock, heapBytes: ctx.sandboxHeapBytes });
    } catch (error) {
      throw error instanceof SandboxViolation ? placedInFile(error, ast) : error;
    }
    const box = sandbox;
    for (const [phase, reason] of pending) runners[phase] = sandboxRunner(() => box, phase, reason);
  }

  let aggregation: AggregationPlan | undefined;
  if (ast.aggregateBy && ast.within) {
    const keyFields = ast.aggregateBy.map((f) => f.field);
    aggregation = {
      keyFields,
      keyReaders: keyFields.map(fieldReader),
      timeField: ast.using?.field,
      timeReader: ast.using ? fieldReader(ast.using.field) : undefined,
      sortBy: ast.sortBy ? { read: fieldReader(ast.sortBy.field), descending: ast.sortBy.descending } : undefined,
      window: { lengthMs: ast.within.length.ms, slideMs: ast.within.slide.ms, allowedLatenessMs: ctx.allowedLatenessMs },
    };
  }

  const stateMachine: StateMachinePlan | undefined = ast.stateMachine && {
    machine: new StateMachine(ast.stateMachine, ctx.stateTables),
    timeField: ast.using?.field,
    timeReader: ast.using ? fieldReader(ast.using.field) : undefined,
  };

  const selectors = ast.sources.map((s) => ({ field: s.field, values: s.values }));
  return {
    name: ast.name,
    source: { language: 'vgl', text: ast.text, file: ast.file },
    ast,
    text: ast.text,
    selectors,
    filter: runners.filter,
    having: runners.having,
    sink: runners.sink!,
    equality: ast.filter && ctx.equalityIndex ? ruleEqualities(ast.filter.node) : undefined,
    iocTerms: ast.iocFilters.map((t) => ({ negated: t.negated, list: t.list, field: t.field, read: fieldReader(t.field) })),
    aggregation,
    stateMachine,
    suppression: ast.suppress && {
      periodMs: ast.suppress.period.ms,
      keyFields: ast.suppress.by.map((f) => f.field),
      keyReaders: ast.suppress.by.map((f) => fieldReader(f.field)),
      timeReader: ast.using ? fieldReader(ast.using.field) : undefined,
    },
    sandbox,
    alertFed: selectors.some((s) => s.field === ALERT_FIELD),
  };
}

/**
 * The plan of a Sigma rule: routed by its logsource (the pipeline's selectors), its detection and
 * filters as a native FILTER, and a SINK that makes the alert — the rule's title, `sigma` (id,
 * level, status, tags, references) and the fields the detection read.
 */
export function planFromSigma(rule: SigmaRulePlan, name: string, source: RuleSource, prefilter = true): RulePlan {
  const meta = rule.sigma;
  const sigma = { id: meta.id, level: meta.level, status: meta.status, tags: [...meta.tags], references: [...meta.references] };
  return {
    name,
    source,
    text: source.text,
    sigma: meta,
    selectors: rule.selectors.map((s) => ({ field: s.field, values: s.values })),
    filter: nativeRunner((event) => rule.matchDetection(event as EventRecord), true),
    sink: nativeRunner((event) => ({ ...rule.matchedFields(event as EventRecord), sigma }), false),
    iocTerms: [],
    // Without literals (`re`, `not`, keywords…) the rule still joins the prefilter, as always offered:
    // the router then gets one ordered list per bucket instead of merging two per event.
    ...(prefilter ? { requires: rule.requires ?? [] } : {}),
    alertFed: rule.selectors.some((s) => s.field === ALERT_FIELD),
  };
}

/** The field alerts are routed by when they re-enter (every alert has it: the rule that raised it). */
export const ALERT_FIELD = 'rule';

/** Frees what a plan holds outside the JavaScript heap (its sandbox, its machine's program). */
export function disposePlan(plan: RulePlan): void {
  plan.sandbox?.dispose();
  plan.stateMachine?.machine.dispose();
}
