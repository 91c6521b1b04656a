/**
 * The rule registry: the rules an engine runs (each a plan with its state, in rule order), the
 * router that indexes them, and every rule's history of versions. Applying rule text is all or
 * nothing; a new version takes over what state it can (rule-state.ts `carryOver`).
 */
import type { SigmaOptions } from '../sigma/index.js';
import { compileSource, ruleDiagnostic } from './compile-source.js';
import type { FunctionRunner, RuleCompileContext, RuleLanguage, RulePlan, RuleSource } from './rule-plan.js';
import { disposePlan } from './rule-plan.js';
import { carryOver, disposeState, freshState, type RuleState, type StateContext } from './rule-state.js';
import { Router, type RoutedRule } from './router.js';
import type { FunctionPhase } from './ports.js';
import type { ApplyOptions, ApplyResult, RuleInfo, RuleVersion } from './types.js';

/** A rule as the engine runs it: its plan, its state and its place in rule order. */
export class LiveRule implements RoutedRule {
  constructor(
    readonly plan: RulePlan,
    public state: RuleState,
    readonly order: number,
  ) {}

  get name(): string {
    return this.plan.name;
  }

  get selectors(): RulePlan['selectors'] {
    return this.plan.selectors;
  }

  get equality(): RulePlan['equality'] {
    return this.plan.equality;
  }

  get requires(): RulePlan['requires'] {
    return this.plan.requires;
  }

  get active(): boolean {
    return this.state.status === 'active';
  }
}

export interface RegistryContext {
  compile(): RuleCompileContext;
  state: StateContext;
  /** IOC lists a rule may name. */
  iocLists(): ReadonlySet<string>;
  /** How Sigma rules map to events. */
  sigma?: SigmaOptions;
  clock(): number;
  /** The set of rules changed (time index, IOC users…). */
  changed(): void;
}

export class RuleRegistry {
  private readonly byName = new Map<string, LiveRule>();
  private orderedRules?: LiveRule[];
  private readonly versions = new Map<string, RuleVersion[]>();
  router = new Router<LiveRule>();
  nextOrder = 0;

  constructor(private readonly ctx: RegistryContext) {}

  get(name: string): LiveRule | undefined {
    return this.byName.get(name);
  }

  require(name: string): LiveRule {
    const rule = this.byName.get(name);
    if (!rule) throw new Error(`unknown rule "${name}"`);
    return rule;
  }

  /** The rules in rule order; kept until the set of rules changes (every batch walks it). */
  ordered(): LiveRule[] {
    return (this.orderedRules ??= [...this.byName.values()].sort((a, b) => a.order - b.order));
  }

  /** Parses, checks and applies the rules in `text`: all of them, or none (see Engine.putRules). */
  apply(text: string, options: ApplyOptions = {}): ApplyResult {
    const file = options.file ?? '<rules>';
    const compiled = this.compile({ language: options.language, text, file });
    const diagnostics = compiled.diagnostics;
    if (compiled.ok && options.replace === false) {
      const exists = compiled.plans.filter((plan) => this.byName.has(plan.name));
      for (const plan of exists) diagnostics.push(ruleDiagnostic({ name: plan.name, file, line: plan.ast?.nameSpan.start.line ?? 1, column: plan.ast?.nameSpan.start.column ?? 1 }, 'rule-exists', `rule "${plan.name}" already exists`));
      if (exists.length) {
        for (const plan of compiled.plans) disposePlan(plan);
        return { ok: false, added: [], replaced: [], diagnostics };
      }
    }
    if (!compiled.ok) return { ok: false, added: [], replaced: [], diagnostics };
    const plans = compiled.plans;

    const added: string[] = [];
    const replaced: string[] = [];
    const now = this.ctx.clock();
    for (const plan of plans) {
      const existing = this.byName.get(plan.name);
      if (existing) {
        this.swap(existing, new LiveRule(plan, carryOver(existing.plan, plan, existing.state, this.ctx.state), existing.order));
        replaced.push(plan.name);
      } else {
        this.insert(new LiveRule(plan, freshState(plan, this.ctx.state), this.nextOrder++));
        added.push(plan.name);
      }
      this.recordVersion(plan.name, existing ? 'replace' : 'create', plan.text, options.author, now);
    }
    this.ctx.changed();
    return { ok: true, added, replaced, diagnostics };
  }

  /** Removes a rule and frees its state. Returns false when there is no such rule. */
  remove(name: string, author?: string): boolean {
    const rule = this.byName.get(name);
    if (!rule) return false;
    this.router.remove(rule);
    disposePlan(rule.plan);
    disposeState(rule.state);
    this.byName.delete(name);
    if (this.orderedRules) this.orderedRules.splice(this.orderedIndex(rule), 1);
    this.ctx.changed();
    this.recordVersion(name, 'remove', '', author, this.ctx.clock());
    return true;
  }

  /** Pauses or resumes a rule by hand. Enabling a deactivated rule gives it a fresh plan (and sandbox). */
  setEnabled(name: string, enabled: boolean): void {
    const rule = this.require(name);
    if (!enabled) {
      rule.state.status = 'disabled';
      return;
    }
    if (rule.state.status === 'active') return;
    if (rule.state.status === 'deactivated') {
      const plan = this.recompile(rule.plan.source, name);
      this.swap(rule, new LiveRule(plan, carryOver(rule.plan, plan, rule.state, this.ctx.state), rule.order));
      this.ctx.changed();
      return;
    }
    rule.state.status = 'active';
  }

  /** Applies an earlier version of a rule again (recorded as a new version). */
  revert(name: string, version: number, author?: string): ApplyResult {
    const target = this.versions.get(name)?.find((v) => v.version === version);
    if (!target || target.action === 'remove') throw new Error(`rule "${name}" has no version ${version} to revert to`);
    const result = this.apply(target.text, { author, file: `${name}@${version}` });
    if (result.ok) {
      const list = this.versions.get(name)!;
      list[list.length - 1]!.action = 'revert';
    }
    return result;
  }

  /** Compiles rule text of either language (compile-source.ts). */
  compile(source: { language?: RuleLanguage; text: string; file: string }) {
    return compileSource(source.text, source.file, this.ctx.compile(), { language: source.language, iocLists: this.ctx.iocLists(), sigma: this.ctx.sigma });
  }

  /** The plan of one rule of `source` compiled again (a fresh sandbox; a checkpoint's rule). */
  recompile(source: RuleSource, name: string): RulePlan {
    const { plans, diagnostics } = this.compile(source);
    const plan = plans.find((p) => p.name === name);
    for (const other of plans) if (other !== plan) disposePlan(other);
    if (!plan) throw new RecompileError(`rule "${name}" no longer compiles: ${diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') || 'it is not in its text'}`);
    return plan;
  }

  history(name: string): RuleVersion[] {
    return [...(this.versions.get(name) ?? [])];
  }

  allHistory(): [string, RuleVersion[]][] {
    return [...this.versions];
  }

  /** Puts back a rule as a checkpoint saved it: its plan compiled again, its state as it was. */
  restoreRule(plan: RulePlan, state: RuleState, order: number): void {
    this.insert(new LiveRule(plan, state, order));
  }

  /** Forgets every rule and version (before a restore). */
  clear(): void {
    for (const rule of this.byName.values()) {
      disposePlan(rule.plan);
      disposeState(rule.state);
    }
    this.byName.clear();
    this.versions.clear();
    this.orderedRules = undefined;
    this.router = new Router<LiveRule>();
  }

  restoreHistory(history: [string, RuleVersion[]][], nextOrder: number): void {
    this.versions.clear();
    for (const [name, list] of history) this.versions.set(name, list);
    this.nextOrder = nextOrder;
  }

  /** A rule's status, version, where its functions run, and its counts. */
  describe(rule: LiveRule): RuleInfo {
    const list = this.versions.get(rule.name) ?? [];
    const functions: RuleInfo['functions'] = [];
    const add = (phase: FunctionPhase, runner: FunctionRunner | undefined) => {
      if (runner) functions.push({ phase, mode: runner.mode, reason: runner.sandboxReason });
    };
    add('filter', rule.plan.filter);
    add('having', rule.plan.having);
    add('sink', rule.plan.sink);
    return {
      name: rule.name,
      state: rule.state.status,
      deactivation: rule.state.deactivation,
      version: list.length ? list[list.length - 1]!.version : 0,
      text: rule.plan.text,
      file: rule.plan.source.file,
      language: rule.plan.source.language,
      sigma: rule.plan.sigma,
      kind: rule.plan.aggregation ? 'aggregation' : rule.plan.stateMachine ? 'state-machine' : 'simple',
      functions,
      stats: { ...rule.state.stats },
    };
  }

  dispose(): void {
    for (const rule of this.byName.values()) {
      rule.plan.sandbox?.dispose();
    }
  }

  private insert(rule: LiveRule): void {
    this.byName.set(rule.name, rule);
    // New rules come last in rule order: appending keeps the order without sorting again, which
    // loading thousands of rules one file at a time would otherwise do once per file.
    const ordered = this.orderedRules;
    if (ordered && (!ordered.length || ordered[ordered.length - 1]!.order < rule.order)) ordered.push(rule);
    else this.orderedRules = undefined;
    this.router.add(rule);
  }

  /** `next` takes `previous`'s place; the old plan is freed (its state lives on in `next`, or was freed by carryOver). */
  private swap(previous: LiveRule, next: LiveRule): void {
    this.router.remove(previous);
    disposePlan(previous.plan);
    this.byName.set(next.name, next);
    if (this.orderedRules) this.orderedRules[this.orderedIndex(previous)] = next;
    this.router.add(next);
  }

  /** Where `rule` sits in {@link ordered} (rule orders are unique and sorted there). */
  private orderedIndex(rule: LiveRule): number {
    const ordered = this.orderedRules!;
    let lo = 0;
    let hi = ordered.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ordered[mid]!.order < rule.order) lo = mid + 1;
      else hi = mid;
    }
    if (ordered[lo] !== rule) throw new Error(`rule "${rule.name}" is not in rule order`);
    return lo;
  }

  private recordVersion(name: string, action: RuleVersion['action'], text: string, author = 'unknown', time: number): void {
    const list = this.versions.get(name) ?? [];
    list.push({ version: list.length + 1, action, text, author, time });
    this.versions.set(name, list);
  }
}

/** A saved or disabled rule's text does not compile into it any more (a newer checker refuses it). */
export class RecompileError extends Error {}
